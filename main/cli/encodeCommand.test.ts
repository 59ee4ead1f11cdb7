import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomSae, randomTensor, seededRandom } from '../engine/randomWeights';
import { referenceSae } from '../engine/reference/saeReference';
import { relativeError } from '../engine/testing';
import { readSafetensors, readTensor32, writeSafetensors } from '../formats/safetensors';
import { v6TopkCfg, writeSaeDir } from '../formats/testing/saeFixture';
import { makeTempDir } from '../testing/tempDirs';
import { runCliCaptured as cli } from '../testing/cliRun';

const tmp = makeTempDir('encode');
afterAll(() => tmp.cleanup());

const dIn = 32;
const dSae = 96;
const sae = randomSae({ dIn, dSae, k: 6, seed: 17 });
const saeDir = writeSaeDir(path.join(tmp.dir, 'sae'), v6TopkCfg(dIn, dSae, 6), {
  W_enc: { dtype: 'F32', shape: [dIn, dSae], data: sae.W_enc.data },
  W_dec: { dtype: 'F32', shape: [dSae, dIn], data: sae.W_dec.data },
  b_enc: { dtype: 'F32', shape: [dSae], data: sae.b_enc.data },
  b_dec: { dtype: 'F32', shape: [dIn], data: sae.b_dec.data },
});
const x = randomTensor(seededRandom(3), [10, dIn], 1.2, 0.2);
const inFile = path.join(tmp.dir, 'acts.safetensors');
writeSafetensors(inFile, { 'blocks.1.hook_resid_post': { dtype: 'F32', shape: [10, dIn], data: x.data }, narrow: { dtype: 'F32', shape: [10, 8], data: new Float32Array(80) } });

describe('sae-workbench encode', () => {
  it('writes dense feature_acts and sae_out matching the sae_lens reference', async () => {
    const out = path.join(tmp.dir, 'enc.safetensors');
    const r = await cli(['encode', '--sae', saeDir, '--in', inFile, '--tensor', 'blocks.1.hook_resid_post', '--out', out, '--device', 'cpu']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/10 rows, d_sae 96, mean L0 [0-6]\.\d\d/);
    const st = readSafetensors(out);
    const acts = readTensor32(st, 'feature_acts');
    const rec = readTensor32(st, 'sae_out');
    expect(acts.shape).toEqual([10, dSae]);
    expect(rec.shape).toEqual([10, dIn]);
    const ref = referenceSae(sae, x.data, 10);
    expect(relativeError(acts.data, ref.featureActs)).toBeLessThan(1e-5);
    expect(relativeError(rec.data, ref.saeOut)).toBeLessThan(1e-5);
  });

  it('names both widths when the tensor does not fit the SAE', async () => {
    const r = await cli(['encode', '--sae', saeDir, '--in', inFile, '--tensor', 'narrow', '--out', path.join(tmp.dir, 'x.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/"narrow" is \[10, 8\], 8 wide, but the SAE .* has d_in 32/);
  });

  it('lists the tensors the file has when --tensor is missing from it', async () => {
    const r = await cli(['encode', '--sae', saeDir, '--in', inFile, '--tensor', 'nope', '--out', path.join(tmp.dir, 'x.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nope/);
  });
});
