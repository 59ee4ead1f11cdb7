import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LibraryItem } from '../../preload/api';
import { openDatabase } from '../db/connection';
import { makeTempDir } from '../testing/tempDirs';
import { listCachedSnapshots } from './hubCacheRepos';
import { LibraryCatalog } from './libraryCatalog';
import { addLocalRoot, scanEverything, scanHubCache } from './scanLibrary';
import {
  FIXTURE_D_MODEL, FIXTURE_D_SAE, FIXTURE_K, FIXTURE_LAYERS, SEED_MODEL_REPOS, SEED_SAE_REPO,
  seedModelRepoFiles, seedSaeRepoFiles, writeHfCacheRepo, writeTree,
} from './testing/seedRepoFixture';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));
function temp(label: string): string {
  const t = makeTempDir(label);
  cleanups.push(t.cleanup);
  return t.dir;
}

function seedCache(): string {
  const cache = temp('hfcache');
  writeHfCacheRepo(cache, { repoType: 'model', repoId: SEED_SAE_REPO, files: seedSaeRepoFiles() });
  writeHfCacheRepo(cache, { repoType: 'model', repoId: SEED_MODEL_REPOS.standard, files: seedModelRepoFiles(1) });
  writeHfCacheRepo(cache, { repoType: 'model', repoId: SEED_MODEL_REPOS.adhd, files: seedModelRepoFiles(2) });
  writeHfCacheRepo(cache, {
    repoType: 'dataset',
    repoId: 'connaaa/tinystories-steps',
    files: { 'data/train-00000.parquet': Buffer.from('PAR1fake'), 'data/val.jsonl': Buffer.from('{"text":"a"}\n'), 'README.md': Buffer.from('# d') },
  });
  return cache;
}

/** GPT-2 block: ln_1 2d, c_attn 3d^2+3d, c_proj d^2+d, ln_2 2d, c_fc 4d^2+4d, mlp c_proj 4d^2+d. */
function gpt2ParamCount(d: number, layers: number, vocab: number, ctx: number): number {
  return vocab * d + ctx * d + 2 * d + layers * (12 * d * d + 13 * d);
}

const byName = (items: LibraryItem[], name: string) => items.find((i) => i.name === name)!;

describe('scanHubCache on an HF cache layout (blobs, symlinked snapshots, refs)', () => {
  it('finds the seed repo: seven SAEs across cfg generations, four results, two models, one dataset', () => {
    const cache = seedCache();
    const items = scanHubCache(cache);
    const count = (kind: string) => items.filter((i) => i.kind === kind).length;
    expect([count('sae'), count('result'), count('model'), count('dataset')]).toEqual([7, 4, 2, 1]);

    const saes = items.filter((i) => i.kind === 'sae');
    for (const sae of saes) {
      expect(sae.problems).toEqual([]);
      expect(sae.sae).toMatchObject({ architecture: 'topk', dIn: FIXTURE_D_MODEL, dSae: FIXTURE_D_SAE, k: FIXTURE_K });
      expect(sae.fileCount).toBe(2);
      expect(sae.source).toMatchObject({ type: 'hub', repoType: 'model', repoId: SEED_SAE_REPO, refs: ['main'], pathInRepo: sae.name });
    }
    // v4 generation: activation_fn_str topk under architecture "standard", hook_point.
    expect(byName(items, 'adhd_L1_hook_resid_post').sae).toMatchObject({ variant: 'adhd', layer: 1, hookName: 'blocks.1.hook_resid_post', modelName: SEED_MODEL_REPOS.adhd });
    expect(byName(items, 'standard_L3_hook_resid_post').sae).toMatchObject({ variant: 'standard', layer: 3, hookName: 'blocks.3.hook_resid_post' });
    // The fixture writes cfg generations v6, v5 and the older flat v4 layout in turn (named as main/formats names them).
    expect(['standard_L0', 'standard_L1', 'standard_L2'].map((n) => byName(items, `${n}_hook_resid_post`).sae!.cfgGeneration)).toEqual(['v6', 'v5', 'v4-v5']);
    expect(byName(items, 'standard_L0_hook_resid_post').sae).toMatchObject({ dtype: 'float32', normalizeActivations: 'none', hasSparsity: false });

    const results = items.filter((i) => i.kind === 'result').map((i) => i.name).sort();
    expect(results).toEqual(['causal_nulls_per_seed.json', 'deepdive_steering.json', 'feature_diff.json', 'three_probes.json']);
    expect(byName(items, 'deepdive_steering.json').result).toEqual({ shape: 'object (4 keys)' });

    const model = byName(items, SEED_MODEL_REPOS.adhd);
    expect(model.model).toMatchObject({ architecture: 'GPT2LMHeadModel', nLayers: FIXTURE_LAYERS, dModel: FIXTURE_D_MODEL, nHeads: 2, dVocab: 50, nCtx: 32, weightFormat: 'safetensors' });
    expect(model.model!.params).toBe(gpt2ParamCount(FIXTURE_D_MODEL, FIXTURE_LAYERS, 50, 32));
    expect(model.problems).toEqual([]);
    expect(model.sizeBytes).toBe(Object.values(seedModelRepoFiles(2)).reduce((s, b) => s + b.length, 0));

    const dataset = items.find((i) => i.kind === 'dataset')!;
    expect(dataset.name).toBe('connaaa/tinystories-steps');
    // The fake parquet file has no readable footer, so the row count is unknown.
    expect(dataset.dataset).toEqual({ formats: ['jsonl', 'parquet'], dataFiles: ['data/train-00000.parquet', 'data/val.jsonl'], rows: null });
  });

  it('links each SAE to its model and groups by model', () => {
    const cache = seedCache();
    const db = openDatabase(temp('home'));
    try {
      const catalog = new LibraryCatalog(db);
      scanEverything(catalog, cache);
      const items = catalog.items();
      const models = new Map(items.filter((i) => i.kind === 'model').map((m) => [m.id, m.name]));
      for (const sae of items.filter((i) => i.kind === 'sae')) {
        const expected = sae.name.startsWith('adhd') ? SEED_MODEL_REPOS.adhd : SEED_MODEL_REPOS.standard;
        expect(models.get(sae.sae!.modelItemId!)).toBe(expected);
        expect(sae.sae!.groupModel).toBe(expected);
      }
      expect(catalog.listing()).toMatchObject({ hubCacheDir: cache, roots: [] });
      expect(catalog.listing().scannedAt).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  it('reads the snapshot a ref points at, falls back to the newest snapshot without refs, skips undownloaded files', () => {
    const cache = temp('hfcache');
    const old = 'a'.repeat(40);
    const cur = 'b'.repeat(40);
    writeHfCacheRepo(cache, { repoType: 'model', repoId: 'o/r', commit: old, ref: null, files: { 'old.json': Buffer.from('{"a":1}') } });
    writeHfCacheRepo(cache, { repoType: 'model', repoId: 'o/r', commit: cur, ref: 'main', files: { 'new.json': Buffer.from('[1,2]') } });
    fs.mkdirSync(path.join(cache, 'models--o--r', 'refs', 'pr'), { recursive: true });
    fs.writeFileSync(path.join(cache, 'models--o--r', 'refs', 'pr', '1'), cur);
    writeHfCacheRepo(cache, { repoType: 'model', repoId: 'solo', commit: 'c'.repeat(40), ref: null, files: { 'x.json': Buffer.from('{}') } });
    // A link whose blob never arrived (an interrupted download) is not an item.
    fs.symlinkSync('../../blobs/missing', path.join(cache, 'models--solo', 'snapshots', 'c'.repeat(40), 'gone.json'));
    fs.mkdirSync(path.join(cache, 'spaces--o--space', 'snapshots', 'd'.repeat(40)), { recursive: true });

    expect(listCachedSnapshots(cache).map((s) => [s.repoId, s.commit, s.refs])).toEqual([
      ['o/r', cur, ['main', 'pr/1']],
      ['solo', 'c'.repeat(40), []],
    ]);
    const items = scanHubCache(cache);
    expect(items.map((i) => i.name).sort()).toEqual(['new.json', 'x.json']);
    expect(byName(items, 'new.json').result).toEqual({ shape: 'array (2 items)' });
  });

  it('returns nothing for a cache that does not exist', () => {
    expect(scanHubCache(path.join(temp('x'), 'nope'))).toEqual([]);
  });
});

describe('addLocalRoot', () => {
  it('adds an SAE folder, a model folder, a dataset file and a folder holding several', () => {
    const home = temp('home');
    const local = temp('local');
    writeTree(path.join(local, 'seed'), seedSaeRepoFiles());
    writeTree(path.join(local, 'model'), seedModelRepoFiles());
    fs.writeFileSync(path.join(local, 'prompts.jsonl'), '{"text":"hello"}\n');
    const db = openDatabase(home);
    try {
      const catalog = new LibraryCatalog(db);
      const sae = addLocalRoot(catalog, path.join(local, 'seed', 'adhd_L2_hook_resid_post'));
      expect(sae.items).toHaveLength(1);
      expect(sae.items[0]).toMatchObject({ kind: 'sae', name: 'adhd_L2_hook_resid_post', source: { type: 'local' } });
      expect(sae.items[0].sae).toMatchObject({ layer: 2, variant: 'adhd', dIn: FIXTURE_D_MODEL });

      const prompts = addLocalRoot(catalog, path.join(local, 'prompts.jsonl')).items;
      expect(prompts.map((i) => [i.kind, i.name, i.dataset?.rows])).toEqual([['dataset', 'prompts.jsonl', 1]]);
      const model = addLocalRoot(catalog, path.join(local, 'model')).items;
      expect(model.map((i) => [i.kind, i.name])).toEqual([['model', 'model']]);
      expect(model[0].model!.params).toBe(gpt2ParamCount(FIXTURE_D_MODEL, FIXTURE_LAYERS, 50, 32));

      const whole = addLocalRoot(catalog, path.join(local, 'seed')).items;
      expect(whole.filter((i) => i.kind === 'sae')).toHaveLength(7);
      expect(whole.filter((i) => i.kind === 'result')).toHaveLength(4);
      expect(catalog.roots().map((r) => r.path)).toHaveLength(4);
      // Adding the same folder again keeps one root.
      addLocalRoot(catalog, path.join(local, 'seed'));
      expect(catalog.roots()).toHaveLength(4);

      expect(catalog.removeRoot(path.join(local, 'seed'))).toBe(true);
      expect(catalog.items().filter((i) => i.kind === 'sae')).toHaveLength(1);
    } finally {
      db.close();
    }
  });

  it('tells datasets from results among added files: text, jsonl, a JSON list of texts, a JSON result', () => {
    const local = temp('files');
    writeTree(local, {
      'story.txt': Buffer.from('line one\n\nline two\nline three\n'),
      'texts.json': Buffer.from(JSON.stringify([{ text: 'a' }, { text: 'b' }])),
      'metrics.json': Buffer.from(JSON.stringify({ fve: 0.9, l0: 31.5 })),
      'notes.md': Buffer.from('# not data'),
    });
    const db = openDatabase(temp('home'));
    try {
      const catalog = new LibraryCatalog(db);
      const kinds = ['story.txt', 'texts.json', 'metrics.json'].map((f) => addLocalRoot(catalog, path.join(local, f)).items.map((i) => [i.kind, i.dataset?.formats[0] ?? i.result?.shape, i.dataset?.rows ?? null])[0]);
      expect(kinds).toEqual([
        ['dataset', 'text', 3],
        ['dataset', 'json', 2],
        ['result', 'object (2 keys)', null],
      ]);
      expect(() => addLocalRoot(catalog, path.join(local, 'notes.md'))).toThrow(expect.objectContaining({ code: 'NOTHING_RECOGNISED' }));
    } finally {
      db.close();
    }
  });

  it('lists a model in a format it cannot run yet, from its config fields, with a note', () => {
    const local = temp('mamba');
    writeTree(local, {
      'config.json': Buffer.from(JSON.stringify({ architectures: ['MambaForCausalLM'], model_type: 'mamba', num_hidden_layers: 2, hidden_size: 8, num_attention_heads: 2, vocab_size: 10, max_position_embeddings: 64 })),
      'model.safetensors': seedModelRepoFiles()['model.safetensors'],
    });
    const db = openDatabase(temp('home'));
    try {
      const [item] = addLocalRoot(new LibraryCatalog(db), local).items;
      expect(item.model).toMatchObject({ architecture: 'MambaForCausalLM', nLayers: 2, dModel: 8, nHeads: 2, dVocab: 10, nCtx: 64, weightFormat: 'safetensors' });
      expect(item.model!.params).toBe(gpt2ParamCount(FIXTURE_D_MODEL, FIXTURE_LAYERS, 50, 32));
      expect(item.problems.join(' ')).toMatch(/not a model format SAE Workbench can run yet/);
    } finally {
      db.close();
    }
  });

  it('names the path and what it accepts when nothing is usable or the path is missing', () => {
    const db = openDatabase(temp('home'));
    const empty = temp('empty');
    fs.writeFileSync(path.join(empty, 'notes.md'), '# nothing');
    try {
      const catalog = new LibraryCatalog(db);
      expect(() => addLocalRoot(catalog, empty)).toThrow(expect.objectContaining({ code: 'NOTHING_RECOGNISED', message: expect.stringContaining(empty) }));
      expect(() => addLocalRoot(catalog, path.join(empty, 'nope'))).toThrow(expect.objectContaining({ code: 'PATH_NOT_FOUND' }));
      expect(catalog.roots()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('reports an SAE whose cfg disagrees with its weights', () => {
    const local = temp('local');
    const files = seedSaeRepoFiles();
    writeTree(local, { 'bad_L0_hook_resid_post/cfg.json': Buffer.from(JSON.stringify({ architecture: 'topk', d_in: 99, d_sae: FIXTURE_D_SAE, k: 4, hook_name: 'blocks.0.hook_resid_post' })), 'bad_L0_hook_resid_post/sae_weights.safetensors': files['adhd_L1_hook_resid_post/sae_weights.safetensors'] });
    const db = openDatabase(temp('home'));
    try {
      const [item] = addLocalRoot(new LibraryCatalog(db), path.join(local, 'bad_L0_hook_resid_post')).items;
      expect(item.problems).toContain(`W_enc is [${FIXTURE_D_MODEL}, ${FIXTURE_D_SAE}] but cfg.json implies [99, ${FIXTURE_D_SAE}]`);
      expect(item.sae).toMatchObject({ dIn: 99, layer: 0, variant: 'bad' });
    } finally {
      db.close();
    }
  });
});
