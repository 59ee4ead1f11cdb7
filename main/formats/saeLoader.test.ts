import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadSae, readSaeSparsity } from './saeLoader';
import { readSaeConfig } from './saeConfig';
import { randomSaeTensors, v6TopkCfg, writeSaeDir } from './testing/saeFixture';
import { errorOf } from '../testing/workbenchErrors';

const root = mkdtempSync(join(tmpdir(), 'sae-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadSae', () => {
  it('loads a v6 TopK directory with its weights and sparsity', () => {
    const tensors = randomSaeTensors(6, 10, 1);
    const sparsity = Float32Array.from({ length: 10 }, (_, i) => -i / 2);
    const dir = writeSaeDir(join(root, 'topk'), v6TopkCfg(6, 10, 3), tensors, sparsity);
    const sae = loadSae(dir);
    expect(sae.config).toMatchObject({ architecture: 'topk', k: 3, dIn: 6, dSae: 10 });
    expect(sae.W_enc.shape).toEqual([6, 10]);
    expect(sae.W_dec.shape).toEqual([10, 6]);
    expect(Array.from(sae.W_enc.data)).toEqual(Array.from(tensors.W_enc.data as Float32Array));
    expect(Array.from(sae.W_dec.data)).toEqual(Array.from(tensors.W_dec.data as Float32Array));
    expect(Array.from(sae.b_enc.data)).toEqual(Array.from(tensors.b_enc.data as Float32Array));
    expect(Array.from(sae.b_dec.data)).toEqual(Array.from(tensors.b_dec.data as Float32Array));
    expect(sae.threshold).toBeNull();
    expect(Array.from(readSaeSparsity(dir, 10)!)).toEqual(Array.from(sparsity));
    expect(readSaeSparsity(join(root, 'nowhere'))).toBeNull();
    expect(errorOf(() => readSaeSparsity(dir, 11)).message).toMatch(/"sparsity" has shape \[10\]; expected \[11\]/);
  });

  it('loads JumpReLU thresholds, from log_threshold too', () => {
    const cfg = { ...v6TopkCfg(4, 8, 1), architecture: 'jumprelu', k: undefined };
    const tensors = randomSaeTensors(4, 8, 2, true);
    expect(Array.from(loadSae(writeSaeDir(join(root, 'jump'), cfg, tensors)).threshold!.data)).toEqual(Array.from(tensors.threshold.data as Float32Array));
    const thr = tensors.threshold.data as Float32Array;
    const { threshold: _t, ...rest } = tensors;
    const logT = { ...rest, log_threshold: { dtype: 'F32' as const, shape: [8], data: thr.map(Math.log) } };
    const loaded = loadSae(writeSaeDir(join(root, 'jumplog'), cfg, logT)).threshold!.data;
    for (let i = 0; i < 8; i++) expect(loaded[i]).toBeCloseTo(thr[i], 6);
    const { threshold: _x, ...none } = tensors;
    expect(errorOf(() => loadSae(writeSaeDir(join(root, 'jumpnone'), cfg, none))).message).toMatch(/has no tensor "threshold" \(jumprelu SAE needs \[8\]/);
  });

  it('converts F16 / BF16 weights to float32', () => {
    const t = randomSaeTensors(4, 8, 3);
    for (const v of Object.values(t)) v.dtype = 'BF16';
    const sae = loadSae(writeSaeDir(join(root, 'bf16'), { ...v6TopkCfg(4, 8, 2), dtype: 'bfloat16' }, t));
    const src = t.W_enc.data as Float32Array;
    for (let i = 0; i < src.length; i++) expect(Math.abs(sae.W_enc.data[i] - src[i])).toBeLessThanOrEqual(Math.abs(src[i]) * 2 ** -8);
  });

  it('folds a pre-6.0 finetuning scaling factor into the decoder rows (float64 reference)', () => {
    const t = randomSaeTensors(3, 4, 4);
    const s = new Float32Array([1, 2, 0.5, -1]);
    const sae = loadSae(writeSaeDir(join(root, 'scaled'), { ...v6TopkCfg(3, 4, 2), finetuning_scaling_factor: true }, { ...t, scaling_factor: { dtype: 'F32', shape: [4], data: s } }));
    const wd = t.W_dec.data as Float32Array;
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) expect(sae.W_dec.data[i * 3 + j]).toBe(Math.fround(wd[i * 3 + j] * s[i]));
    // All-ones factors are a no-op and leave the view untouched.
    const ones = loadSae(writeSaeDir(join(root, 'ones'), v6TopkCfg(3, 4, 2), { ...t, scaling_factor: { dtype: 'F32', shape: [4], data: new Float32Array(4).fill(1) } }));
    expect(Array.from(ones.W_dec.data)).toEqual(Array.from(wd));
  });

  it('names the tensor and both shapes when weights do not match cfg.json', () => {
    const dir = writeSaeDir(join(root, 'mismatch'), v6TopkCfg(6, 12, 3), randomSaeTensors(6, 10, 5));
    const err = errorOf(() => loadSae(dir));
    expect(err.code).toBe('SAE_WEIGHTS_INVALID');
    expect(err.message).toMatch(/tensor "W_enc" has shape \[6, 10\] but cfg\.json \(d_in 6, d_sae 12\) needs \[6, 12\]/);
  });

  it('explains a missing cfg.json or weights file', () => {
    expect(errorOf(() => loadSae(root)).code).toBe('SAE_CONFIG_MISSING');
    const dir = writeSaeDir(join(root, 'noweights'), v6TopkCfg(2, 2, 1), {});
    rmSync(join(dir, 'sae_weights.safetensors'));
    expect(errorOf(() => loadSae(dir)).code).toBe('SAE_WEIGHTS_MISSING');
    writeFileSync(join(dir, 'cfg.json'), '{ nope');
    expect(errorOf(() => readSaeConfig(dir)).message).toMatch(/cfg\.json: is not valid JSON/);
  });

  it('reads activation_scaler.json next to an unfolded expected_average_only_in checkpoint', () => {
    const dir = writeSaeDir(join(root, 'scaler'), { ...v6TopkCfg(2, 4, 1), normalize_activations: 'expected_average_only_in' }, randomSaeTensors(2, 4, 6));
    writeFileSync(join(dir, 'activation_scaler.json'), JSON.stringify({ scaling_factor: 0.125 }));
    expect(loadSae(dir).config.inputScalingFactor).toBe(0.125);
  });
});
