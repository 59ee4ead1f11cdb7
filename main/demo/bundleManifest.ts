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

/** The demo bundle an item lies in (its manifest at or up to three folders above), and its place there ("saes/adhd/blocks.2.hook_resid_post"). */
export function demoBundleOf(itemPath: string, read: (root: string) => DemoBundleManifest | null = readDemoBundleManifest): { root: string; manifest: DemoBundleManifest; member: string } | null {
  // The deepest demo item (saes/<variant>/<hook>) sits three folders below the bundle root.
  let dir = path.resolve(itemPath);
  for (let up = 0; up <= 3; up++) {
    const manifest = read(dir);
    if (manifest) return { root: dir, manifest, member: path.relative(dir, path.resolve(itemPath)).split(path.sep).join('/') };
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/**
 * Why an SAE of the demo bundle fails the quality gates: it was constructed to plant a known
 * mechanism, not trained to reconstruct. Null for any other SAE (keyed off the manifest, not the name).
 */
export function constructedSaeNote(saePath: string): { bundleVersion: number; note: string } | null {
  const bundle = demoBundleOf(saePath);
  if (!bundle || !bundle.member.startsWith('saes/')) return null;
  return {
    bundleVersion: bundle.manifest.version,
    note: `Constructed, not trained: this SAE is part of the demo bundle (v${bundle.manifest.version}), whose SAEs are built to plant a known mechanism (one feature reads the planted direction), not trained to reconstruct the activations. A low or negative FVE and failed gates are expected and say nothing about training; a trained SAE (Training > Demo presets) is the one the gates judge.`,
  };
}
