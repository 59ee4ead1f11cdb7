import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCrosscoder } from '../formats/crosscoder';
import { randomCrosscoder, writeCrosscoderDir } from '../formats/testing/crosscoderFixture';
import { SeededRandom } from '../random/seededRandom';
import { crosscoderAsSae, pairRows } from './crosscoderSae';
import { encodeCrosscoder64 } from './reference/crosscoderReference';
import { runSae } from './runner';

const root = mkdtempSync(join(tmpdir(), 'cc-engine-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a crosscoder through the engine', () => {
  it('encodes and reconstructs both models exactly as the README formula (float64 reference)', async () => {
    const d = 6;
    const dSae = 20;
    const fixture = randomCrosscoder(d, dSae, 3, 7);
    // Latent 4 writes nothing (never fires); latent 5 has a negative threshold.
    for (let m = 0; m < 2; m++) fixture.W_dec.data.fill(0, (m * dSae + 4) * d, (m * dSae + 5) * d);
    fixture.threshold.data[5] = -1;
    const cc = loadCrosscoder(writeCrosscoderDir(join(root, 'cc'), fixture));
    const rng = new SeededRandom(8);
    const n = 50;
    const xA = rng.floats(n * d, 2);
    const xB = rng.floats(n * d, 0.5);
    const ref = encodeCrosscoder64(cc, xA, xB);
    const sae = crosscoderAsSae(cc);
    const run = await runSae(sae, { data: pairRows(xA, xB, d), shape: [n, 2 * d] }, ['feature_acts', 'sae_out'], { device: 'cpu' });
    const acts = run.outputs.feature_acts!.data as Float32Array;
    const out = run.outputs.sae_out!.data as Float32Array;
    let fired = 0;
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < dSae; j++) {
        expect(acts[r * dSae + j]).toBeCloseTo(ref.acts[r * dSae + j], 5);
        if (ref.acts[r * dSae + j] > 0) fired++;
      }
      for (let i = 0; i < d; i++) {
        expect(out[r * 2 * d + i]).toBeCloseTo(ref.xhatA[r * d + i], 4);
        expect(out[r * 2 * d + d + i]).toBeCloseTo(ref.xhatB[r * d + i], 4);
      }
      expect(acts[r * dSae + 4]).toBe(0);
    }
    // The thresholds bite: some latents with relu(pre) > 0 are zeroed, and some fire.
    expect(fired).toBeGreaterThan(n);
    expect(fired).toBeLessThan(n * dSae * 0.6);
  });
});
