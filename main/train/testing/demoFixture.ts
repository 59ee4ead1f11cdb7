/**
 * The demo bundle for training tests: generated once per machine (per bundle version) into a
 * shared temporary home, under a lock so test files running in parallel do not race.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_BUNDLE_VERSION, ensureDemoBundle, readyDemoBundle, type DemoBundlePaths } from '../../demo/demoBundle';

export function sharedDemoBundle(): DemoBundlePaths {
  const home = path.join(os.tmpdir(), `sae-wb-test-demo-v${DEMO_BUNDLE_VERSION}`);
  const ready = readyDemoBundle(home);
  if (ready) return ready;
  fs.mkdirSync(home, { recursive: true });
  const lock = path.join(home, '.generating');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      const done = readyDemoBundle(home);
      if (done) return done;
      // A lock left by a killed process goes stale after two minutes.
      if (Date.now() - fs.statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 120_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the demo bundle in ${home}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return ensureDemoBundle(home);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
