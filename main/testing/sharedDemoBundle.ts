import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_BUNDLE_VERSION, demoBundlePaths, readyDemoBundle, writeDemoBundle, type DemoBundlePaths } from '../demo/demoBundle';

/**
 * The demo bundle for tests, generated once per machine (and Node version, whose Math gives the
 * bytes) into the temp folder and shared read-only by every test file: generating it takes
 * seconds. Concurrent first callers each build a private copy and the first rename wins.
 * Tests must copy what they intend to modify.
 */
export function sharedDemoBundle(): DemoBundlePaths {
  const home = path.join(os.tmpdir(), `sae-wb-demo-shared-v${DEMO_BUNDLE_VERSION}-node${process.versions.node}`);
  const ready = readyDemoBundle(home);
  if (ready) return ready;
  const root = path.join(home, 'demo', `v${DEMO_BUNDLE_VERSION}`);
  const mine = `${root}.build-${process.pid}-${Date.now()}`;
  writeDemoBundle(mine);
  try {
    fs.mkdirSync(path.dirname(root), { recursive: true });
    fs.renameSync(mine, root);
  } catch {
    // Another process got there first: use its copy.
    fs.rmSync(mine, { recursive: true, force: true });
  }
  const done = readyDemoBundle(home);
  if (!done) throw new Error(`sharedDemoBundle: ${root} is not complete`);
  return demoBundlePaths(done.root);
}
