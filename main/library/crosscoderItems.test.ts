import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LibraryItem, ModelSummary } from '../../preload/api';
import { randomCrosscoder, writeCrosscoderDir } from '../formats/testing/crosscoderFixture';
import { pendingIdentity, withIdentities } from './identity';
import { linkSaesToModels } from './linkSaesToModels';
import { recognizeTree } from './recognizeItems';

const root = mkdtempSync(join(tmpdir(), 'cc-library-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function localModel(id: string, dir: string, dModel: number, configName: string): LibraryItem {
  const m: ModelSummary = { architecture: 'GPT2LMHeadModel', configName, nLayers: 4, dModel, nHeads: 2, dVocab: 50, nCtx: 32, params: 1, weightFormat: 'safetensors' };
  return { id, kind: 'model', name: dir.split('/').pop()!, identity: pendingIdentity(dir), path: dir, source: { type: 'local', root: dir }, sizeBytes: 1, fileCount: 1, sae: null, model: m, dataset: null, result: null, problems: [], scannedAt: 0 };
}

describe('the Library and crosscoder folders', () => {
  it('recognises a crosscoder folder (not as an SAE) and links it to both of its models', () => {
    const dir = writeCrosscoderDir(join(root, 'runs', 'cc1'), randomCrosscoder(8, 16, 2, 1, { modelA: 'demo-standard', modelB: 'demo-adhd', hookNameA: 'blocks.2.hook_resid_post', hookNameB: 'blocks.2.hook_resid_post' }));
    const found = recognizeTree(root, { origin: 'local:x', source: () => ({ type: 'local', root }) });
    expect(found.map((i) => i.kind)).toEqual(['crosscoder']);
    const item = found[0];
    expect(item.path).toBe(dir);
    expect(item.problems).toEqual([]);
    expect(item.crosscoder).toMatchObject({ dIn: 8, dSae: 16, k: 2, modelNameA: 'demo-standard', modelNameB: 'demo-adhd', hookNameA: 'blocks.2.hook_resid_post' });
    const models = [localModel('a', '/b/models/standard', 8, 'sae-workbench/demo-standard'), localModel('b', '/b/models/adhd', 8, 'sae-workbench/demo-adhd'), localModel('w', '/b/models/wide', 16, 'demo-adhd-wide')];
    const linked = linkSaesToModels(withIdentities([...models, item])).find((i) => i.kind === 'crosscoder')!;
    expect(linked.crosscoder!.linkA).toMatchObject({ modelItemId: 'a', evidence: 'model_name' });
    expect(linked.crosscoder!.linkB).toMatchObject({ modelItemId: 'b', evidence: 'model_name' });
    expect(linked.identity.label).toBe('crosscoder demo-standard ↔ demo-adhd · 16 latents · k 2 (cc1)');
    expect(linked.identity.detail).toBe(`folder ${dir}`);
    // A model of another width is never linked, even by name.
    const narrow = linkSaesToModels(withIdentities([localModel('b8', '/b/models/adhd', 4, 'sae-workbench/demo-adhd'), item])).find((i) => i.kind === 'crosscoder')!;
    expect(narrow.crosscoder!.linkB.modelItemId).toBeNull();
  });

  it('lists a damaged crosscoder with its problems', () => {
    const cc = randomCrosscoder(4, 6, 2, 2);
    cc.b_enc.data[0] = Number.NaN;
    const dir = writeCrosscoderDir(join(root, 'bad', 'nan'), cc);
    const broken = writeCrosscoderDir(join(root, 'bad', 'cfg'), randomCrosscoder(4, 6, 2, 3));
    writeFileSync(join(broken, 'cfg.json'), JSON.stringify({ architecture: 'batchtopk_crosscoder', d_in: 4 }));
    const found = recognizeTree(join(root, 'bad'), { origin: 'local:y', source: () => ({ type: 'local', root }) });
    const byPath = new Map(found.map((i) => [i.path, i]));
    expect(byPath.get(dir)!.kind).toBe('crosscoder');
    expect(byPath.get(dir)!.problems.join(' ')).toMatch(/b_enc.*NaN/);
    expect(byPath.get(broken)!.kind).toBe('crosscoder');
    expect(byPath.get(broken)!.problems.join(' ')).toMatch(/field "d_sae" is missing/);
  });
});
