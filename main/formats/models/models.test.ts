import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, toFloat32, writeSafetensors } from '../safetensors';
import { flattenWeights, randomTransformer, tinyConfig } from '../testing/transformerFixture';
import { modelNameFor } from './configFields';
import { writeGpt2Directory } from './gpt2Writer';
import { writeHookedTransformerDirectory } from './hookedTransformerWriter';
import { detectModelLoader, loadModel, readModelConfig } from './registry';
import { columnsToHeads, headsToColumns, transpose2d } from './tensorOps';
import { errorOf } from '../../testing/workbenchErrors';

const root = mkdtempSync(join(tmpdir(), 'models-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('GPT-2 and TransformerLens loaders', () => {
  const original = randomTransformer(tinyConfig(), 7);

  it('load the same canonical weights from HF GPT-2 (prefixed and bare) and TL layouts', () => {
    const hf = join(root, 'hf');
    const bare = join(root, 'bare');
    const tl = join(root, 'tl');
    writeGpt2Directory(hf, original);
    writeGpt2Directory(bare, original, { prefixed: false });
    writeHookedTransformerDirectory(tl, original);
    expect(detectModelLoader(hf)!.format).toBe('hf-gpt2');
    expect(detectModelLoader(tl)!.format).toBe('hooked-transformer');
    const a = loadModel(hf);
    const b = loadModel(bare);
    const c = loadModel(tl);
    const want = flattenWeights(original);
    expect(flattenWeights(a)).toEqual(want);
    expect(flattenWeights(b)).toEqual(want);
    expect(flattenWeights(c)).toEqual(want);
    const { sourceFormat: _s1, name: _n1, ...cfgA } = a.config;
    const { sourceFormat: _s2, name: _n2, ...cfgC } = c.config;
    expect(cfgA).toEqual(cfgC);
    expect(a.config).toMatchObject({ sourceFormat: 'gpt2', nLayers: 2, dModel: 8, nHeads: 2, dHead: 4, dMlp: 32, dVocab: 11, nCtx: 6, lnEps: 1e-5, activation: 'gelu_new', attnScale: 2, bosTokenId: 10, eosTokenId: 10, prependBos: true });
    expect(c.config).toMatchObject({ sourceFormat: 'hooked-transformer', name: 'tiny' });
  });

  it('keeps an untied lm_head and a TL output bias', () => {
    const untied = randomTransformer(tinyConfig(), 8, false);
    untied.b_U = { data: new Float32Array(11), shape: [11] };
    writeGpt2Directory(join(root, 'untied'), untied);
    expect(flattenWeights(loadModel(join(root, 'untied')))).toEqual(flattenWeights(untied));
    const withBias = randomTransformer(tinyConfig(), 9, false);
    writeHookedTransformerDirectory(join(root, 'tlbias'), withBias);
    expect(flattenWeights(loadModel(join(root, 'tlbias')))).toEqual(flattenWeights(withBias));
    expect(errorOf(() => writeGpt2Directory(join(root, 'nope'), withBias)).message).toMatch(/b_U must be zero/);
  });

  it('splits a hand-built Conv1D c_attn into head-major Q, K, V columns', () => {
    // d = 4, 2 heads of 2: c_attn.weight[r][c] = 100*r + c, bias[c] = c.
    const d = 4;
    const qkv = new Float32Array(d * 3 * d);
    for (let r = 0; r < d; r++) for (let c = 0; c < 3 * d; c++) qkv[r * 3 * d + c] = 100 * r + c;
    const ident = (n: number) => new Float32Array(n).fill(1);
    const z = (n: number) => new Float32Array(n);
    const dir = join(root, 'conv1d');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_layer: 1, n_embd: d, n_head: 2, n_positions: 3, vocab_size: 5, n_inner: 8 }));
    const f32 = (shape: number[], data: Float32Array) => ({ dtype: 'F32' as const, shape, data });
    writeSafetensors(join(dir, 'model.safetensors'), {
      'wte.weight': f32([5, d], z(5 * d)),
      'wpe.weight': f32([3, d], z(3 * d)),
      'h.0.ln_1.weight': f32([d], ident(d)),
      'h.0.ln_1.bias': f32([d], z(d)),
      'h.0.attn.c_attn.weight': f32([d, 3 * d], qkv),
      'h.0.attn.c_attn.bias': f32([3 * d], Float32Array.from({ length: 3 * d }, (_, i) => i)),
      'h.0.attn.c_proj.weight': f32([d, d], z(d * d)),
      'h.0.attn.c_proj.bias': f32([d], z(d)),
      'h.0.attn.bias': { dtype: 'BOOL', shape: [1, 1, 3, 3], data: new Uint8Array(9) }, // old mask buffer, ignored
      'h.0.ln_2.weight': f32([d], ident(d)),
      'h.0.ln_2.bias': f32([d], z(d)),
      'h.0.mlp.c_fc.weight': f32([d, 8], z(d * 8)),
      'h.0.mlp.c_fc.bias': f32([8], z(8)),
      'h.0.mlp.c_proj.weight': f32([8, d], z(8 * d)),
      'h.0.mlp.c_proj.bias': f32([d], z(d)),
      'ln_f.weight': f32([d], ident(d)),
      'ln_f.bias': f32([d], z(d)),
    });
    const m = loadModel(dir);
    const blk = m.blocks[0];
    expect(blk.W_Q.shape).toEqual([4, 4]);
    expect(Array.from(blk.W_Q.data)).toEqual([0, 1, 2, 3, 100, 101, 102, 103, 200, 201, 202, 203, 300, 301, 302, 303]);
    expect(Array.from(blk.W_K.data.subarray(0, 4))).toEqual([4, 5, 6, 7]);
    expect(Array.from(blk.W_V.data.subarray(12, 16))).toEqual([308, 309, 310, 311]);
    expect(Array.from(blk.b_Q.data)).toEqual([0, 1, 2, 3]);
    expect(Array.from(blk.b_K.data)).toEqual([4, 5, 6, 7]);
    expect(Array.from(blk.b_V.data)).toEqual([8, 9, 10, 11]);
    expect(m.config).toMatchObject({ dMlp: 8, lnEps: 1e-5, activation: 'gelu_new', bosTokenId: null, attnScale: Math.sqrt(2) });
    expect(m.W_U.shape).toEqual([4, 5]);
    expect(Array.from(m.b_U.data)).toEqual([0, 0, 0, 0, 0]);
  });

  it('rearranges TL heads by the documented index map (hand-built)', () => {
    // W_Q[h, m, j] = 100h + 10m + j must land at canonical [m, h*dHead + j].
    const H = 2;
    const dm = 3;
    const dh = 2;
    const src = new Float32Array(H * dm * dh);
    for (let h = 0; h < H; h++) for (let m = 0; m < dm; m++) for (let j = 0; j < dh; j++) src[(h * dm + m) * dh + j] = 100 * h + 10 * m + j;
    const cols = headsToColumns({ data: src, shape: [H, dm, dh] });
    expect(cols.shape).toEqual([3, 4]);
    for (let h = 0; h < H; h++) for (let m = 0; m < dm; m++) for (let j = 0; j < dh; j++) expect(cols.data[m * H * dh + h * dh + j]).toBe(100 * h + 10 * m + j);
    expect(Array.from(columnsToHeads(cols, H).data)).toEqual(Array.from(src));
    expect(Array.from(transpose2d({ data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] }).data)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('loads LNPre TL models without LayerNorm weights', () => {
    const w = randomTransformer(tinyConfig({ normalization: 'LNPre', sourceFormat: 'hooked-transformer' }), 10, false);
    writeHookedTransformerDirectory(join(root, 'lnpre'), w);
    const m = loadModel(join(root, 'lnpre'));
    expect(m.config.normalization).toBe('LNPre');
    expect(m.blocks[1].ln2).toEqual({ w: null, b: null });
    expect(flattenWeights(m)).toEqual(flattenWeights(w));
  });

  it('reads F16 GPT-2 weights', () => {
    writeGpt2Directory(join(root, 'f16'), original, { dtype: 'F16' });
    const m = loadModel(join(root, 'f16'));
    const a = original.blocks[0].W_in.data;
    const b = m.blocks[0].W_in.data;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(Math.abs(a[i]) * 2 ** -11 + 2 ** -25);
    expect(readModelConfig(join(root, 'f16')).weightDtypes).toEqual(['F16']);
  });

  it('describes a model from configs and headers only', () => {
    const d = readModelConfig(join(root, 'hf'));
    const c = tinyConfig();
    const expected = c.dVocab * c.dModel + c.nCtx * c.dModel + c.nLayers * (4 * c.dModel + c.dModel * 3 * c.dModel + 3 * c.dModel + c.dModel * c.dModel + c.dModel + c.dModel * c.dMlp + c.dMlp + c.dMlp * c.dModel + c.dModel) + 2 * c.dModel;
    expect(d).toMatchObject({ format: 'hf-gpt2', architecture: 'GPT2LMHeadModel', weightFiles: ['model.safetensors'], paramCount: expected, weightDtypes: ['F32'] });
    expect(d.config.nLayers).toBe(2);
    expect(readModelConfig(join(root, 'tl'))).toMatchObject({ format: 'hooked-transformer', architecture: 'HookedTransformer (GPT2LMHeadModel)' });
  });

  it('reads sharded weights through model.safetensors.index.json', () => {
    const dir = join(root, 'sharded');
    writeGpt2Directory(dir, original);
    const whole = readSafetensors(join(dir, 'model.safetensors'));
    const names = [...whole.tensors.keys()].sort();
    const half = Math.floor(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, k) => {
      const file = `model-0000${k + 1}-of-00002.safetensors`;
      writeSafetensors(join(dir, file), Object.fromEntries(shard.map((n) => [n, { dtype: 'F32' as const, shape: whole.get(n).shape, data: toFloat32(whole.get(n)) }])));
      for (const n of shard) weightMap[n] = file;
    });
    rmSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    expect(readModelConfig(dir).weightFiles).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(flattenWeights(loadModel(dir))).toEqual(flattenWeights(original));
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: [] }));
    expect(errorOf(() => loadModel(dir)).message).toMatch(/has no weight_map/);
  });

  it('names HF cache snapshots by repo id', () => {
    expect(modelNameFor('/c/hub/models--openai-community--gpt2/snapshots/abc123', 'x')).toBe('openai-community/gpt2');
    expect(modelNameFor('/c/hub/models--gpt2/snapshots/abc123/', null)).toBe('gpt2');
    expect(modelNameFor('/somewhere/my-model', null)).toBe('my-model');
  });

  it('names the tensor and shapes when weights do not match config.json', () => {
    const dir = join(root, 'mismatch');
    writeGpt2Directory(dir, original);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_layer: 2, n_embd: 8, n_head: 2, n_positions: 6, vocab_size: 12, n_inner: 32 }));
    const err = errorOf(() => loadModel(dir));
    expect(err.code).toBe('MODEL_WEIGHTS_INVALID');
    expect(err.message).toMatch(/tensor "transformer\.wte\.weight" has shape \[11, 8\] but config\.json implies \[12, 8\]/);
  });

  it('explains unknown, unsupported and pickle-only folders', () => {
    const unknown = join(root, 'mamba');
    mkdirSync(unknown);
    writeFileSync(join(unknown, 'config.json'), JSON.stringify({ model_type: 'mamba' }));
    const e1 = errorOf(() => readModelConfig(unknown));
    expect(e1.code).toBe('MODEL_FORMAT_UNKNOWN');
    expect(e1.message).toMatch(/holds a "mamba" model; supported formats: Hugging Face GPT-2.*TransformerLens.*Llama/);
    expect(errorOf(() => loadModel(join(root, 'missing'))).code).toBe('MODEL_NOT_FOUND');

    const pickle = join(root, 'pickle');
    mkdirSync(pickle);
    writeFileSync(join(pickle, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_layer: 1, n_embd: 4, n_head: 1, n_positions: 2, vocab_size: 3 }));
    writeFileSync(join(pickle, 'pytorch_model.bin'), 'x');
    const e2 = errorOf(() => loadModel(pickle));
    expect(e2.code).toBe('MODEL_WEIGHTS_MISSING');
    expect(e2.message).toMatch(/only has PyTorch pickle files/);

    const rms = join(root, 'rms');
    writeHookedTransformerDirectory(rms, original, { normalization_type: 'RMS' });
    expect(errorOf(() => loadModel(rms)).message).toMatch(/normalization_type "RMS" is not supported yet/);
    const badAct = join(root, 'badact');
    writeGpt2Directory(badAct, original, { extraConfig: { activation_function: 'solu' } });
    expect(errorOf(() => readModelConfig(badAct)).message).toMatch(/field "activation_function" is "solu"/);
  });
});
