import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from './safetensors';
import { CROSSCODER_WEIGHTS_FILE, crosscoderDecoderNorms, loadCrosscoder, looksLikeCrosscoderFolder, readCrosscoderConfig } from './crosscoder';
import { randomCrosscoder, writeCrosscoderDir } from './testing/crosscoderFixture';
import { errorOf } from '../testing/workbenchErrors';

const root = mkdtempSync(join(tmpdir(), 'cc-format-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cfgOf(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8')) as Record<string, unknown>;
}

describe('crosscoder folder format', () => {
  it('writes exactly the specified cfg keys and tensors, and loads them back bit for bit', () => {
    const cc = randomCrosscoder(6, 10, 3, 1);
    const dir = writeCrosscoderDir(join(root, 'ok'), cc, { training_tokens: 1000 });
    const cfg = cfgOf(dir);
    for (const key of ['architecture', 'd_in', 'd_sae', 'k', 'hook_name_a', 'hook_name_b', 'model_a', 'model_b', 'dataset_path', 'context_size', 'norm_scale_a', 'norm_scale_b']) expect(cfg, key).toHaveProperty(key);
    expect(cfg.architecture).toBe('batchtopk_crosscoder');
    expect(cfg.training_tokens).toBe(1000);
    const header = JSON.parse(readFileSync(join(dir, CROSSCODER_WEIGHTS_FILE)).subarray(8, 8 + Number(readFileSync(join(dir, CROSSCODER_WEIGHTS_FILE)).readBigUInt64LE(0))).toString()) as Record<string, { shape: number[]; dtype: string }>;
    const tensors = Object.fromEntries(Object.entries(header).filter(([k]) => k !== '__metadata__').map(([k, v]) => [k, v.shape]));
    expect(tensors).toEqual({ W_enc: [2, 6, 10], b_enc: [10], W_dec: [2, 10, 6], b_dec: [2, 6], threshold: [10] });
    const loaded = loadCrosscoder(dir);
    expect(loaded.config).toMatchObject({ dIn: 6, dSae: 10, k: 3, normScaleA: 1.5, normScaleB: 0.75, modelA: 'tiny-a', hookNameB: 'blocks.1.hook_resid_post', formatVersion: 1 });
    for (const n of ['W_enc', 'b_enc', 'W_dec', 'b_dec', 'threshold'] as const) expect(Array.from(loaded[n].data), n).toEqual(Array.from(cc[n].data));
    expect(looksLikeCrosscoderFolder(dir)).toBe(true);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('pre = (x_A / s_A) @ W_enc[0] + (x_B / s_B) @ W_enc[1] + b_enc');
    expect(readme).toContain('a_j = f_j  if  f_j * (||W_dec[0][j]|| + ||W_dec[1][j]||) > threshold_j,  else 0');
    expect(readme).toContain('x_hat_m = s_m * (a @ W_dec[m] + b_dec[m])');
  });

  it('decoder norms per model (float64) come from W_dec[0] and W_dec[1]', () => {
    const cc = randomCrosscoder(3, 2, 1, 2);
    cc.W_dec.data.set([3, 4, 0, 0, 0, 1, 1, 2, 2, 0, 0, 0]);
    const [a, b] = crosscoderDecoderNorms(cc);
    expect(Array.from(a)).toEqual([5, 1]);
    expect(Array.from(b)).toEqual([3, 0]);
  });

  it('names the tensor and both shapes when a weight does not fit cfg.json', () => {
    const cc = randomCrosscoder(6, 10, 3, 3);
    const dir = writeCrosscoderDir(join(root, 'shape'), cc);
    const cfg = cfgOf(dir);
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ ...cfg, d_sae: 12 }));
    const err = errorOf(() => loadCrosscoder(dir));
    expect(err.code).toBe('CROSSCODER_WEIGHTS_INVALID');
    expect(err.message).toMatch(/tensor "W_enc" has shape \[2, 6, 10\] but cfg\.json \(d_in 6, d_sae 12\) needs \[2, 6, 12\]/);
  });

  it('refuses a missing or extra tensor, and NaN weights naming the tensor', () => {
    const cc = randomCrosscoder(4, 5, 2, 4);
    const dir = writeCrosscoderDir(join(root, 'missing'), cc);
    const t = (d: Float32Array, shape: number[]) => ({ dtype: 'F32' as const, shape, data: d });
    writeFileSync(join(dir, CROSSCODER_WEIGHTS_FILE), encodeSafetensors({ W_enc: t(cc.W_enc.data, [2, 4, 5]), b_enc: t(cc.b_enc.data, [5]), W_dec: t(cc.W_dec.data, [2, 5, 4]), b_dec: t(cc.b_dec.data, [2, 4]) }));
    expect(errorOf(() => loadCrosscoder(dir)).message).toMatch(/has no tensor "threshold" \(needs \[5\]/);
    writeFileSync(join(dir, CROSSCODER_WEIGHTS_FILE), encodeSafetensors({ W_enc: t(cc.W_enc.data, [2, 4, 5]), b_enc: t(cc.b_enc.data, [5]), W_dec: t(cc.W_dec.data, [2, 5, 4]), b_dec: t(cc.b_dec.data, [2, 4]), threshold: t(cc.threshold.data, [5]), W_enc_a: t(cc.b_enc.data, [5]) }));
    expect(errorOf(() => loadCrosscoder(dir)).message).toMatch(/tensors a crosscoder does not have: W_enc_a/);
    const nan = randomCrosscoder(4, 5, 2, 5);
    nan.W_dec.data[7] = Number.NaN;
    const err = errorOf(() => loadCrosscoder(writeCrosscoderDir(join(root, 'nan'), nan)));
    expect(err.code).toBe('WEIGHTS_NONFINITE');
    expect(err.message).toMatch(/W_dec/);
  });

  it('explains a missing key, a non-crosscoder cfg, a newer format and a missing weights file', () => {
    const dir = writeCrosscoderDir(join(root, 'cfg'), randomCrosscoder(4, 5, 2, 6));
    const cfg = cfgOf(dir);
    const write = (c: Record<string, unknown>) => writeFileSync(join(dir, 'cfg.json'), JSON.stringify(c));
    const { norm_scale_b: _drop, ...noScale } = cfg;
    write(noScale);
    expect(errorOf(() => readCrosscoderConfig(dir)).message).toMatch(/field "norm_scale_b" is missing; expected a finite number > 0/);
    write({ ...cfg, norm_scale_a: 0 });
    expect(errorOf(() => readCrosscoderConfig(dir)).message).toMatch(/field "norm_scale_a" is 0/);
    write({ ...cfg, k: 9 });
    expect(errorOf(() => readCrosscoderConfig(dir)).message).toMatch(/field "k" is 9; expected at most d_sae \(5\)/);
    write({ ...cfg, architecture: 'topk' });
    const arch = errorOf(() => readCrosscoderConfig(dir));
    expect(arch.message).toMatch(/architecture is "topk", not "batchtopk_crosscoder"/);
    expect(arch.hint).toMatch(/not a crosscoder/);
    write({ ...cfg, format_version: 2 });
    expect(errorOf(() => readCrosscoderConfig(dir)).code).toBe('CROSSCODER_CONFIG_VERSION');
    write({ ...cfg, hook_name_b: '' });
    expect(errorOf(() => readCrosscoderConfig(dir)).message).toMatch(/"hook_name_b" is ""/);
    writeFileSync(join(dir, 'cfg.json'), '{ nope');
    expect(errorOf(() => readCrosscoderConfig(dir)).message).toMatch(/is not valid JSON/);
    write(cfg);
    rmSync(join(dir, CROSSCODER_WEIGHTS_FILE));
    expect(errorOf(() => loadCrosscoder(dir)).code).toBe('CROSSCODER_WEIGHTS_MISSING');
    expect(errorOf(() => readCrosscoderConfig(root)).code).toBe('CROSSCODER_CONFIG_MISSING');
  });
});
