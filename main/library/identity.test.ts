import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LibraryItem, LibraryItemKind } from '../../preload/api';
import { DEMO_BUNDLE_GENERATOR, DEMO_BUNDLE_MANIFEST } from '../demo/bundleManifest';
import { makeTempDir } from '../testing/tempDirs';
import { identityLabel, pendingIdentity, withIdentities } from './identity';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function item(kind: LibraryItemKind, p: string, extra: Partial<LibraryItem> = {}, root = path.dirname(p)): LibraryItem {
  return { id: p, kind, name: path.basename(p), identity: pendingIdentity(p), path: p, source: { type: 'local', root }, sizeBytes: 1, fileCount: 1, sae: null, model: null, dataset: null, result: null, problems: [], scannedAt: 0, ...extra };
}
const model = (p: string, configName: string | null) => item('model', p, { model: { architecture: 'GPT2LMHeadModel', configName, nLayers: 1, dModel: 8, nHeads: 1, dVocab: 4, nCtx: 4, params: 1, weightFormat: 'safetensors' } });

/** A folder laid out like the demo bundle (identity reads only the manifest and the paths). */
function fakeBundle(): string {
  const t = makeTempDir('bundle');
  cleanups.push(t.cleanup);
  fs.writeFileSync(path.join(t.dir, DEMO_BUNDLE_MANIFEST), JSON.stringify({ version: 1, seed: 1234, generator: DEMO_BUNDLE_GENERATOR }));
  return t.dir;
}
const bundleItems = (root: string) => [
  model(path.join(root, 'models', 'adhd'), 'sae-workbench/demo-adhd'),
  item('sae', path.join(root, 'saes', 'adhd', 'blocks.2.hook_resid_post'), { sae: { modelName: 'demo-adhd' } as LibraryItem['sae'] }),
  item('dataset', path.join(root, 'dataset.jsonl')),
];

describe('identityLabel: one rule from the path and what the config says', () => {
  it('names HF cache items by repo and subfolder, whatever the kind', () => {
    const snap = '/home/u/.cache/huggingface/hub/models--org--sae-release/snapshots/0123abcd';
    expect(identityLabel('sae', `${snap}/layer_12/width_16k`)).toBe('org/sae-release/layer_12/width_16k');
    expect(identityLabel('model', '/c/models--openai-community--gpt2/snapshots/abc', { configName: 'gpt2' })).toBe('openai-community/gpt2');
    expect(identityLabel('dataset', '/c/datasets--org--steps/snapshots/abc')).toBe('org/steps');
  });

  it('names local models by their config, else their folder; bare-hook SAE folders by their model or parent', () => {
    expect(identityLabel('model', '/data/models/adhd', { configName: 'sae-workbench/demo-adhd' })).toBe('sae-workbench/demo-adhd');
    expect(identityLabel('model', '/data/my-finetune', { configName: null })).toBe('my-finetune');
    expect(identityLabel('sae', '/b/saes/adhd/blocks.2.hook_resid_post', { saeModelName: 'demo-adhd' })).toBe('demo-adhd/blocks.2.hook_resid_post');
    expect(identityLabel('sae', '/b/run7/blocks.2.hook_resid_post', {})).toBe('run7/blocks.2.hook_resid_post');
    expect(identityLabel('sae', '/b/adhd_L2_hook_resid_post', { saeModelName: 'x' })).toBe('adhd_L2_hook_resid_post');
  });
});

describe('withIdentities over the whole Library', () => {
  it('lists the demo bundle once as a labelled group, from the folder added first, naming the other copies', () => {
    const generated = fakeBundle();
    const userCopy = fakeBundle();
    const manifest = item('result', path.join(generated, DEMO_BUNDLE_MANIFEST));
    const out = withIdentities([...bundleItems(userCopy), ...bundleItems(generated), manifest], { rootOrder: [generated, userCopy] });
    // The manifest is how the bundle is recognised, not a result file to list.
    expect(out.map((i) => i.path)).toEqual(bundleItems(generated).map((i) => i.path));
    for (const i of out) expect(i.identity.bundle).toMatchObject({ kind: 'demo', version: 1, root: generated, label: 'Demo bundle v1', alsoAt: [userCopy] });
    expect(out.map((i) => [i.identity.label, i.identity.bundle!.member, i.identity.key])).toEqual([
      ['sae-workbench/demo-adhd', 'models/adhd', 'demo:v1:models/adhd'],
      ['demo-adhd/blocks.2.hook_resid_post', 'saes/adhd/blocks.2.hook_resid_post', 'demo:v1:saes/adhd/blocks.2.hook_resid_post'],
      ['dataset.jsonl', 'dataset.jsonl', 'demo:v1:dataset.jsonl'],
    ]);
    expect(out[0].identity.detail).toBe(`Demo bundle v1 · ${generated}`);
  });

  it('keeps one item per path (a folder added inside another) and tells clashing labels apart by their folders', () => {
    const a = model('/runs/a/ckpt/model', 'gpt2');
    const b = model('/runs/b/ckpt/model', 'gpt2');
    const dup = { ...a, id: 'again' };
    const out = withIdentities([a, b, dup]);
    expect(out.map((i) => [i.id, i.identity.label])).toEqual([
      [a.id, 'gpt2 (a/ckpt)'],
      [b.id, 'gpt2 (b/ckpt)'],
    ]);
    expect(out.map((i) => i.identity.detail)).toEqual(['folder /runs/a/ckpt/model', 'folder /runs/b/ckpt/model']);
  });
});
