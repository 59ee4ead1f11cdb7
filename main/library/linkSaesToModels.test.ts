import { describe, expect, it } from 'vitest';
import type { LibraryItem, ModelSummary, SaeSummary } from '../../preload/api';
import { linkSaesToModels } from './linkSaesToModels';

function model(id: string, repoId: string, dModel: number): LibraryItem {
  const m: ModelSummary = { architecture: 'GPT2LMHeadModel', nLayers: 4, dModel, nHeads: 2, dVocab: 50, nCtx: 32, params: 1, weightFormat: 'safetensors' };
  return { id, kind: 'model', name: repoId, path: `/cache/${id}`, source: { type: 'hub', repoType: 'model', repoId, commit: 'c', refs: ['main'], pathInRepo: '' }, sizeBytes: 1, fileCount: 1, sae: null, model: m, dataset: null, result: null, problems: [], scannedAt: 0 };
}

function sae(id: string, s: Partial<SaeSummary>): LibraryItem {
  const full: SaeSummary = { architecture: 'topk', dIn: 16, dSae: 64, k: 8, hookName: null, layer: 0, modelName: null, variant: null, modelItemId: null, groupModel: '', cfgGeneration: 'v6', dtype: 'float32', normalizeActivations: 'none', hasSparsity: false, ...s };
  return { id, kind: 'sae', name: id, path: `/x/${id}`, source: { type: 'local', root: '/x' }, sizeBytes: 1, fileCount: 2, sae: full, model: null, dataset: null, result: null, problems: [], scannedAt: 0 };
}

const models = [model('m1', 'connaaa/interpgpt-standard-23M', 16), model('m2', 'connaaa/interpgpt-adhd-23M', 16), model('m3', 'other/adhd-big', 512)];

describe('linkSaesToModels', () => {
  it('prefers the cfg model_name, then the folder variant among models of the right width', () => {
    const linked = linkSaesToModels([
      ...models,
      sae('byName', { modelName: 'connaaa/interpgpt-adhd-23M', variant: 'standard' }),
      sae('byVariant', { variant: 'adhd' }),
      sae('wide', { variant: 'adhd', dIn: 512 }),
      sae('orphan', { modelName: 'gpt2-small' }),
      sae('nothing', {}),
    ]);
    const of = (id: string) => linked.find((i) => i.id === id)!.sae!;
    expect(of('byName')).toMatchObject({ modelItemId: 'm2', groupModel: 'connaaa/interpgpt-adhd-23M' });
    // Two models carry the "adhd" token; only one has d_model 16.
    expect(of('byVariant')).toMatchObject({ modelItemId: 'm2', groupModel: 'connaaa/interpgpt-adhd-23M' });
    expect(of('wide')).toMatchObject({ modelItemId: 'm3', groupModel: 'other/adhd-big' });
    expect(of('orphan')).toMatchObject({ modelItemId: null, groupModel: 'gpt2-small' });
    expect(of('nothing')).toMatchObject({ modelItemId: null, groupModel: 'unknown model' });
  });

  it('does not match a model_name to a model of another width', () => {
    const [, , , s] = linkSaesToModels([...models, sae('s', { modelName: 'other/adhd-big', dIn: 16 })]);
    expect(s.sae).toMatchObject({ modelItemId: null, groupModel: 'other/adhd-big' });
  });
});
