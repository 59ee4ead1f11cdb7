import { describe, expect, it } from 'vitest';
import type { LibraryItem, ModelSummary, SaeSummary } from '../../preload/api';
import { NOT_LINKED_YET } from './describeSae';
import { pendingIdentity, withIdentities } from './identity';
import { linkSaesToModels } from './linkSaesToModels';

function hubModel(id: string, repoId: string, dModel: number, configName: string | null = null): LibraryItem {
  const m: ModelSummary = { architecture: 'GPT2LMHeadModel', configName, nLayers: 4, dModel, nHeads: 2, dVocab: 50, nCtx: 32, params: 1, weightFormat: 'safetensors' };
  const p = `/cache/models--${repoId.replace('/', '--')}/snapshots/c/`.slice(0, -1);
  return { id, kind: 'model', name: repoId, identity: pendingIdentity(p), path: p, source: { type: 'hub', repoType: 'model', repoId, commit: 'c', refs: ['main'], pathInRepo: '' }, sizeBytes: 1, fileCount: 1, sae: null, model: m, dataset: null, result: null, problems: [], scannedAt: 0 };
}

function localModel(id: string, dir: string, dModel: number, configName: string | null): LibraryItem {
  return { ...hubModel(id, 'x/y', dModel, configName), name: dir.split('/').pop()!, identity: pendingIdentity(dir), path: dir, source: { type: 'local', root: dir } };
}

function sae(id: string, s: Partial<SaeSummary>, source: LibraryItem['source'] = { type: 'local', root: '/x' }, dir = `/x/${id}`): LibraryItem {
  const full: SaeSummary = { architecture: 'topk', dIn: 16, dSae: 64, k: 8, hookName: null, layer: 0, modelName: null, variant: null, modelItemId: null, groupModel: '', link: NOT_LINKED_YET, cfgGeneration: 'v6', dtype: 'float32', normalizeActivations: 'none', hasSparsity: false, ...s };
  return { id, kind: 'sae', name: id, identity: pendingIdentity(dir), path: dir, source, sizeBytes: 1, fileCount: 2, sae: full, model: null, dataset: null, result: null, problems: [], scannedAt: 0 };
}

const hubSae = (id: string, repoId: string, s: Partial<SaeSummary>) =>
  sae(id, s, { type: 'hub', repoType: 'model', repoId, commit: 'c', refs: ['main'], pathInRepo: id }, `/cache/models--${repoId.replace('/', '--')}/snapshots/c/${id}`);

const link = (items: LibraryItem[], id: string) => linkSaesToModels(withIdentities(items)).find((i) => i.id === id)!.sae!;

const models = [hubModel('m1', 'connaaa/interpgpt-standard-23M', 16), hubModel('m2', 'connaaa/interpgpt-adhd-23M', 16), hubModel('m3', 'other/adhd-big', 512)];

describe('linkSaesToModels: each kind of evidence', () => {
  it('model_name: the cfg names the model by HF repo, repo name or the config\'s own name, and the widths fit', () => {
    expect(link([...models, sae('s', { modelName: 'connaaa/interpgpt-adhd-23M', variant: 'standard' })], 's')).toMatchObject({
      modelItemId: 'm2',
      groupModel: 'connaaa/interpgpt-adhd-23M',
      link: { evidence: 'model_name', modelLabel: 'connaaa/interpgpt-adhd-23M', reason: 'linked by model_name: cfg model_name "connaaa/interpgpt-adhd-23M"' },
    });
    // The demo bundle: cfg "demo-adhd", model config "sae-workbench/demo-adhd" in a local folder.
    const demo = [localModel('d1', '/b/models/standard', 64, 'sae-workbench/demo-standard'), localModel('d2', '/b/models/adhd', 64, 'sae-workbench/demo-adhd')];
    expect(link([...demo, sae('s', { modelName: 'demo-adhd', dIn: 64 }, { type: 'local', root: '/b' }, '/b/saes/adhd/blocks.2.hook_resid_post')], 's').link).toMatchObject({ modelItemId: 'd2', evidence: 'model_name' });
    // TransformerLens spells GPT-2 small "gpt2-small".
    expect(link([hubModel('g', 'openai-community/gpt2', 16), sae('s', { modelName: 'gpt2-small' })], 's').link).toMatchObject({ modelItemId: 'g', evidence: 'model_name' });
  });

  it('repo_family: an SAE repo of the same owner whose name stem is in one model repo\'s name', () => {
    expect(link([...models, hubSae('L2', 'connaaa/interpgpt-adhd-saes', {})], 'L2').link).toMatchObject({
      modelItemId: 'm2',
      evidence: 'repo_family',
      reason: 'linked by HF repo family: connaaa/interpgpt-adhd-saes and connaaa/interpgpt-adhd-23M',
    });
    // "interpgpt" fits both models equally: no family link, and the folder name decides instead.
    expect(link([...models, hubSae('adhd_L2_hook_resid_post', 'connaaa/interpgpt-sae-phase5', { variant: 'adhd' })], 'adhd_L2_hook_resid_post').link).toMatchObject({ modelItemId: 'm2', evidence: 'folder_name' });
    // An SAE inside the model's own repo belongs to it.
    expect(link([...models, hubSae('sae/L1', 'connaaa/interpgpt-standard-23M', {})], 'sae/L1').link).toMatchObject({ modelItemId: 'm1', evidence: 'repo_family' });
  });

  it('folder_name: the variant in the folder name, among models of the right width', () => {
    // Two models carry the "adhd" token; only one has d_model 16.
    expect(link([...models, sae('byVariant', { variant: 'adhd' })], 'byVariant').link).toMatchObject({ modelItemId: 'm2', evidence: 'folder_name', reason: 'linked by folder name: "adhd" in byVariant' });
    expect(link([...models, sae('wide', { variant: 'adhd', dIn: 512 })], 'wide').link).toMatchObject({ modelItemId: 'm3', evidence: 'folder_name' });
  });

  it('shape: the only model whose d_model equals d_in, when the cfg names no model', () => {
    expect(link([...models, sae('w', { dIn: 512 })], 'w')).toMatchObject({ modelItemId: 'm3', groupModel: 'other/adhd-big', link: { evidence: 'shape', reason: 'linked by shape: d_in 512 = d_model, the only model of that width' } });
    // Two models of width 16: ambiguous, so not linked, and the reason says what to do.
    expect(link([...models, sae('n', {})], 'n')).toMatchObject({ modelItemId: null, groupModel: 'unknown model', link: { evidence: null, reason: 'not linked: its cfg names no model; 2 model(s) have d_model 16: link it by hand' } });
  });

  it('no link: a model_name not in the Library (grouped under that name), or a model of another width', () => {
    expect(link([...models, sae('orphan', { modelName: 'gpt2-small' })], 'orphan')).toMatchObject({ modelItemId: null, groupModel: 'gpt2-small', link: { reason: 'not linked: its cfg names "gpt2-small", which is not in the Library; 2 model(s) have d_model 16: link it by hand' } });
    // model_name names other/adhd-big, but it is 512 wide and the SAE reads 16: never linked by name.
    expect(link([...models, sae('s', { modelName: 'other/adhd-big', dIn: 16 })], 's')).toMatchObject({ modelItemId: null, groupModel: 'other/adhd-big' });
  });

  it('manual: a link made by hand wins over every other evidence, and says so when widths disagree', () => {
    const items = withIdentities([...models, sae('s', { modelName: 'connaaa/interpgpt-adhd-23M' })]);
    const m1 = items.find((i) => i.id === 'm1')!;
    const manual = new Map([['/x/s', m1.path]]);
    expect(linkSaesToModels(items, manual).find((i) => i.id === 's')!.sae!.link).toMatchObject({ modelItemId: 'm1', evidence: 'manual', reason: 'linked by hand' });
    const m3 = items.find((i) => i.id === 'm3')!;
    expect(linkSaesToModels(items, new Map([['/x/s', m3.path]])).find((i) => i.id === 's')!.sae!.link.reason).toBe('linked by hand: d_in 16 ≠ d_model 512, so it cannot run on this model');
    // A hand link to a model no longer in the Library falls back to the evidence.
    expect(linkSaesToModels(items, new Map([['/x/s', '/gone']])).find((i) => i.id === 's')!.sae!.link.evidence).toBe('model_name');
  });
});
