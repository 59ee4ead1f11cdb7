import fs from 'node:fs';
import path from 'node:path';

/**
 * The demo bundle's manifest (`bundle.json` at its root): how any part of the app recognises a
 * folder as a generated demo bundle (the Library groups it, `inspect` describes it) without
 * loading the generator.
 */
export const DEMO_BUNDLE_MANIFEST = 'bundle.json';
export const DEMO_BUNDLE_GENERATOR = 'main/demo/demoBundle.ts';

export interface DemoBundleManifest {
  version: number;
  seed: number;
  generator: string;
}

/** The manifest of a demo bundle rooted at `root`, or null when `root` is not one. */
export function readDemoBundleManifest(root: string): DemoBundleManifest | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(root, DEMO_BUNDLE_MANIFEST), 'utf8')) as Partial<DemoBundleManifest>;
    if (m.generator !== DEMO_BUNDLE_GENERATOR || typeof m.version !== 'number' || typeof m.seed !== 'number') return null;
    return { version: m.version, seed: m.seed, generator: m.generator };
  } catch {
    return null;
  }
}
