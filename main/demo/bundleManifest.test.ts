import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/tempDirs';
import { constructedSaeNote, DEMO_BUNDLE_GENERATOR, DEMO_BUNDLE_MANIFEST, demoBundleOf } from './bundleManifest';

const tmp = makeTempDir('bundle-manifest');
afterAll(tmp.cleanup);

describe('finding the demo bundle an item lies in', () => {
  const root = path.join(tmp.dir, 'bundle');
  const sae = path.join(root, 'saes', 'adhd', 'blocks.2.hook_resid_post');
  fs.mkdirSync(sae, { recursive: true });
  fs.mkdirSync(path.join(root, 'models', 'adhd'), { recursive: true });
  fs.writeFileSync(path.join(root, DEMO_BUNDLE_MANIFEST), JSON.stringify({ version: 3, seed: 1, generator: DEMO_BUNDLE_GENERATOR }));

  it('walks up to three folders to the manifest and names the member', () => {
    expect(demoBundleOf(sae)).toEqual({ root, manifest: { version: 3, seed: 1, generator: DEMO_BUNDLE_GENERATOR }, member: 'saes/adhd/blocks.2.hook_resid_post' });
    expect(demoBundleOf(path.join(root, 'models', 'adhd'))?.member).toBe('models/adhd');
    // Four folders down is outside the bundle's layout.
    expect(demoBundleOf(path.join(sae, 'deeper'))).toBeNull();
  });

  it('notes SAEs of the bundle as constructed, not its models, nor a bundle with a foreign manifest', () => {
    expect(constructedSaeNote(sae)).toMatchObject({ bundleVersion: 3, note: expect.stringMatching(/^Constructed, not trained: this SAE is part of the demo bundle \(v3\)/) });
    expect(constructedSaeNote(path.join(root, 'models', 'adhd'))).toBeNull();
    const other = path.join(tmp.dir, 'other');
    fs.mkdirSync(path.join(other, 'saes', 'x'), { recursive: true });
    fs.writeFileSync(path.join(other, DEMO_BUNDLE_MANIFEST), JSON.stringify({ version: 1, seed: 1, generator: 'someone else' }));
    expect(constructedSaeNote(path.join(other, 'saes', 'x'))).toBeNull();
  });
});
