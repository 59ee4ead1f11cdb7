import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { randomSae, randomTransformer } from '../engine/randomWeights';
import { errorOf } from '../testing/workbenchErrors';
import { makeTempDir } from '../testing/tempDirs';
import { countNonFinite, finiteCheckCacheDir, nonFiniteTensors, useFiniteCheckCache } from './finiteValues';
import { encodeBF16, encodeF16 } from './halfFloat';
import { inspectDirectory } from './inspect';
import { writeGpt2Directory } from './models/gpt2Writer';
import { loadModel } from './models/registry';
import { loadSae } from './saeLoader';
import { writeSafetensors, type TensorToWrite } from './safetensors';
import { v6TopkCfg, writeSaeDir } from './testing/saeFixture';

const tmp = makeTempDir('finite');
afterAll(() => {
  useFiniteCheckCache(null);
  tmp.cleanup();
});

/** float64 reference: count by decoding every value with Number semantics. */
function referenceCount(values: number[]): { nan: number; inf: number } {
  return { nan: values.filter((v) => Number.isNaN(v)).length, inf: values.filter((v) => v === Infinity || v === -Infinity).length };
}

const values = [0, 1.5, NaN, -Infinity, 3, Infinity, NaN, -0, 65504, 1e-8];

describe('non-finite values', () => {
  it('counts NaN and ±Inf in every float dtype from the raw bits, as a float64 reference decodes them', () => {
    const file = path.join(tmp.dir, 'dtypes.safetensors');
    const f8e5m2 = Uint8Array.of(0x00, 0x3c, 0x7c /* +inf */, 0xfc /* -inf */, 0x7d /* nan */, 0x7f /* nan */, 0x01);
    const f8e4m3 = Uint8Array.of(0x00, 0x38, 0x7f /* nan */, 0xff /* nan */, 0x7e /* 448, finite */);
    const tensors: Record<string, TensorToWrite> = {
      f32: { dtype: 'F32', shape: [values.length], data: Float32Array.from(values) },
      f64: { dtype: 'F64', shape: [values.length], data: Float64Array.from(values) },
      f16: { dtype: 'F16', shape: [values.length], data: encodeF16(Float32Array.from(values)) },
      bf16: { dtype: 'BF16', shape: [values.length], data: encodeBF16(Float32Array.from(values)) },
      e5m2: { dtype: 'F8_E5M2', shape: [f8e5m2.length], data: f8e5m2 },
      e4m3: { dtype: 'F8_E4M3', shape: [f8e4m3.length], data: f8e4m3 },
      ints: { dtype: 'I32', shape: [3], data: Int32Array.of(-1, 0x7fc00000, 2) },
      'blocks.0.attn.IGNORE': { dtype: 'F32', shape: [], data: Float32Array.of(-Infinity) },
    };
    writeSafetensors(file, tensors);
    const byName = Object.fromEntries(nonFiniteTensors(file).map((t) => [t.name, { nan: t.nan, inf: t.inf }]));
    const ref = referenceCount(values);
    expect(byName).toEqual({ f32: ref, f64: ref, f16: ref, bf16: ref, e5m2: { nan: 2, inf: 2 }, e4m3: { nan: 2, inf: 0 } });
    expect(countNonFinite(Float32Array.from(values))).toEqual(ref);
  });

  it('checks a file once: the result is cached by file identity (memory and <home>/cache), and a changed file is checked again', () => {
    const home = path.join(tmp.dir, 'home');
    useFiniteCheckCache(finiteCheckCacheDir(home));
    const file = path.join(tmp.dir, 'cached.safetensors');
    writeSafetensors(file, { w: { dtype: 'F32', shape: [4], data: Float32Array.of(1, 2, 3, 4) } });
    expect(nonFiniteTensors(file)).toEqual([]);
    expect(fs.readdirSync(finiteCheckCacheDir(home))).toHaveLength(1);
    // Rewritten with a NaN (new inode and mtime): checked again.
    writeSafetensors(file, { w: { dtype: 'F32', shape: [4], data: Float32Array.of(1, NaN, 3, 4) } });
    expect(nonFiniteTensors(file)).toEqual([{ name: 'w', nan: 1, inf: 0, elements: 4 }]);
    expect(fs.readdirSync(finiteCheckCacheDir(home))).toHaveLength(2);
    useFiniteCheckCache(null);
  });

  it('an SAE or a model with NaN weights is refused at load with the tensor and the count; inspect lists it as a problem', () => {
    const sae = randomSae({ dIn: 8, dSae: 24, k: 2, seed: 2 });
    const wEnc = Float32Array.from(sae.W_enc.data);
    wEnc[5] = NaN;
    wEnc[7] = NaN;
    const saeDir = writeSaeDir(path.join(tmp.dir, 'nan-sae'), v6TopkCfg(8, 24, 2), {
      W_enc: { dtype: 'F32', shape: [8, 24], data: wEnc },
      W_dec: { dtype: 'F32', shape: [24, 8], data: sae.W_dec.data },
      b_enc: { dtype: 'F32', shape: [24], data: sae.b_enc.data },
      b_dec: { dtype: 'F32', shape: [8], data: sae.b_dec.data },
    });
    const e = errorOf(() => loadSae(saeDir));
    expect(e.code).toBe('WEIGHTS_NONFINITE');
    expect(e.message).toContain('tensor "W_enc" holds 2 NaN values of 192');
    expect(e.message).toContain('sae_weights.safetensors');
    const inspected = inspectDirectory(saeDir);
    expect(inspected.kind === 'sae' && inspected.problems).toEqual([expect.stringMatching(/tensor "W_enc" holds 2 NaN values of 192; it cannot be run/)]);

    const model = randomTransformer({ nLayers: 1, dModel: 8, nHeads: 2, dVocab: 11, nCtx: 6, seed: 4 });
    model.b_U.data.fill(0);
    model.blocks[0].W_in.data[3] = Infinity;
    const modelDir = path.join(tmp.dir, 'inf-model');
    writeGpt2Directory(modelDir, model);
    const m = errorOf(() => loadModel(modelDir));
    expect(m.code).toBe('WEIGHTS_NONFINITE');
    expect(m.message).toMatch(/tensor "transformer\.h\.0\.mlp\.c_fc\.weight" holds 1 infinite value of 256\. The model would compute NaN everywhere\./);
    const im = inspectDirectory(modelDir);
    expect(im.kind === 'model' && im.problems).toEqual([expect.stringMatching(/h\.0\.mlp\.c_fc\.weight" holds 1 infinite value/)]);
  });

  it('requireFiniteOutputs refuses a batch with NaN, naming where, which output and the first bad row', () => {
    const ok = { data: Float32Array.of(1, 2, 3, 4), shape: [2, 2] };
    requireFiniteOutputs({ acts: ok, ids: { data: BigInt64Array.of(1n), shape: [1] } }, 'batch 3');
    const e = errorOf(() => requireFiniteOutputs({ acts: ok, logits: { data: Float32Array.of(0, 0, 0, NaN, Infinity, 0), shape: [3, 2] } }, 'batch 3 of the index'));
    expect(e.code).toBe('NONFINITE_OUTPUT');
    expect(e.message).toBe('batch 3 of the index: logits [3, 2] holds 2 non-finite values (1 NaN, 1 infinite) of 6 (the first in row 1); nothing from it was kept.');
  });
});
