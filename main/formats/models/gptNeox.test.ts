import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNeoxDirectory as writeNeox } from '../testing/neoxFixture';
import { flattenWeights, randomTransformer, tinyConfig } from '../testing/transformerFixture';
import { splitNeoxQkv } from './gptNeox';
import { detectModelLoader, loadModel, readModelConfig } from './registry';
import { errorOf } from '../../testing/workbenchErrors';

const root = mkdtempSync(join(tmpdir(), 'neox-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('GPT-NeoX loader', () => {
  it('splits the per-head fused query_key_value by the documented row map (hand-built)', () => {
    const H = 2;
    const dh = 2;
    const d = 4;
    const weight = new Float32Array(3 * d * d);
    for (let r = 0; r < 3 * d; r++) for (let m = 0; m < d; m++) weight[r * d + m] = 100 * r + m;
    const bias = Float32Array.from({ length: 3 * d }, (_, r) => r);
    const { W, b } = splitNeoxQkv({ data: weight, shape: [3 * d, d] }, { data: bias, shape: [3 * d] }, H, dh);
    for (let s = 0; s < 3; s++)
      for (let h = 0; h < H; h++)
        for (let j = 0; j < dh; j++) {
          const row = h * 3 * dh + s * dh + j;
          expect(b[s].data[h * dh + j]).toBe(row);
          for (let m = 0; m < d; m++) expect(W[s].data[m * H * dh + h * dh + j]).toBe(100 * row + m);
        }
    // Head 1's query is rows 6 and 7, so W_Q column 2 (head 1, j 0) reads row 6.
    expect(Array.from({ length: d }, (_, m) => W[0].data[m * 4 + 2])).toEqual([600, 601, 602, 603]);
  });

  it('loads a Pythia-style folder into canonical weights with rotary and parallel settings', () => {
    const w = randomTransformer(tinyConfig({ sourceFormat: 'gpt-neox', activation: 'gelu', positional: 'rotary' }), 21, false);
    w.b_U = { data: new Float32Array(w.config.dVocab), shape: [w.config.dVocab] };
    const dir = join(root, 'pythia');
    writeNeox(dir, w);
    expect(detectModelLoader(dir)!.format).toBe('hf-gpt-neox');
    const m = loadModel(dir);
    const want = flattenWeights(w);
    want.W_pos = { shape: [6, 8], values: new Array(48).fill(0) };
    expect(flattenWeights(m)).toEqual(want);
    expect(m.config).toMatchObject({ sourceFormat: 'gpt-neox', positional: 'rotary', rotary: { dims: 2, base: 10000 }, parallelAttnMlp: true, activation: 'gelu', attnScale: 2, bosTokenId: 0 });
    expect(readModelConfig(dir)).toMatchObject({ format: 'hf-gpt-neox', architecture: 'GPTNeoXForCausalLM', weightDtypes: ['F32'] });
  });

  it('rejects settings it cannot represent', () => {
    const w = randomTransformer(tinyConfig(), 22, false);
    writeNeox(join(root, 'fast'), w, { hidden_act: 'gelu_fast' });
    expect(errorOf(() => loadModel(join(root, 'fast'))).message).toMatch(/field "hidden_act" is "gelu_fast"/);
    writeNeox(join(root, 'pct'), w, { rotary_pct: 0.3 });
    expect(errorOf(() => loadModel(join(root, 'pct'))).message).toMatch(/field "rotary_pct" is 0\.3/);
    writeNeox(join(root, 'scaled'), w, { rope_scaling: { type: 'linear', factor: 2 } });
    expect(errorOf(() => loadModel(join(root, 'scaled'))).code).toBe('MODEL_UNSUPPORTED');
  });
});
