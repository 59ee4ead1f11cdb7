import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LibraryItem, LibraryItemKind } from '../../preload/api';
import { DEMO_BUNDLE_GENERATOR, DEMO_BUNDLE_MANIFEST } from '../demo/bundleManifest';
import { makeTempDir } from '../testing/tempDirs';
import { identityLabel, pendingIdentity, saeIdentityLabel, saeLabelOfFolder, trainedWithOf, withIdentities } from './identity';

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
      ['demo-adhd/blocks.2.hook_resid_post (demo, constructed)', 'saes/adhd/blocks.2.hook_resid_post', 'demo:v1:saes/adhd/blocks.2.hook_resid_post'],
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

describe('THE SAE label: what tells two SAEs apart (issue 17)', () => {
  const sae = (p: string, s: Partial<NonNullable<LibraryItem['sae']>>) => item('sae', p, { sae: { modelName: null, dSae: 256, k: 8, architecture: 'topk', trainedWith: null, ...s } as LibraryItem['sae'] });

  it('the demo\'s constructed SAE and one trained here on the same model and hook read apart: origin, job, width, k', () => {
    const root = fakeBundle();
    const constructed = sae(path.join(root, 'saes', 'adhd', 'blocks.2.hook_resid_post'), { modelName: 'demo-adhd' });
    const trained = sae('/home/u/.sae-workbench/runs/20250612-1a2b3c4d/saes/blocks.2.hook_resid_post', { modelName: 'sae-workbench/demo-adhd', trainedWith: 'sae-workbench', dSae: 512, k: 16 });
    const elsewhere = sae('/data/my-saes/blocks.2.hook_resid_post', { modelName: 'sae-workbench/demo-adhd', trainedWith: 'sae-workbench' });
    const labels = withIdentities([constructed, trained, elsewhere]).map((i) => i.identity.label);
    expect(labels).toEqual([
      'demo-adhd/blocks.2.hook_resid_post (demo, constructed) · 256 features · k 8',
      'sae-workbench/demo-adhd/blocks.2.hook_resid_post (trained here, job 20250612-1a2b3c4d) · 512 features · k 16',
      'sae-workbench/demo-adhd/blocks.2.hook_resid_post (trained with SAE Workbench, run my-saes) · 256 features · k 8',
    ]);
  });

  it('Hub and other folders: the name says where they come from; width, and k or the architecture', () => {
    const snap = '/c/hub/models--org--saes/snapshots/abc/layer_3/width_16k';
    expect(saeIdentityLabel(snap, { dSae: 16384, k: null, architecture: 'jumprelu', trainedWith: null }, null)).toBe('org/saes/layer_3/width_16k · 16,384 features · jumprelu');
    expect(saeIdentityLabel('/data/adhd_L2_hook_resid_post', { dSae: 64, k: 8, architecture: 'topk', trainedWith: null }, null)).toBe('adhd_L2_hook_resid_post · 64 features · k 8');
    // A runs/<id>/saes folder alone does not make an SAE "trained here": its cfg must say trained_with.
    expect(saeIdentityLabel('/x/runs/r1/saes/blocks.0.hook_resid_post', { dSae: 8, k: 2, architecture: 'topk', trainedWith: null }, null)).toBe('saes/blocks.0.hook_resid_post · 8 features · k 2');
  });

  it('an SAE folder read on its own gets the Library\'s label (job titles, indexes, inspect)', () => {
    const t = makeTempDir('sae-label');
    cleanups.push(t.cleanup);
    const dir = path.join(t.dir, 'runs', '20250101-deadbeef', 'saes', 'blocks.1.hook_resid_post');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ architecture: 'topk', d_in: 16, d_sae: 40, k: 4, dtype: 'float32', metadata: { sae_lens_version: '6.18.0', hook_name: 'blocks.1.hook_resid_post', model_name: 'tiny', trained_with: 'sae-workbench' } }));
    expect(saeLabelOfFolder(dir)).toBe('tiny/blocks.1.hook_resid_post (trained here, job 20250101-deadbeef) · 40 features · k 4');
    // No readable cfg: the name alone.
    expect(saeLabelOfFolder(path.join(t.dir, 'blocks.3.hook_resid_post'))).toBe(`${path.basename(t.dir)}/blocks.3.hook_resid_post`);
    expect([trainedWithOf({ meta: { trained_with: 'x' } }), trainedWithOf({ trained_with: 'y' }), trainedWithOf(null)]).toEqual(['x', 'y', null]);
  });
});
