import { mkdirSync } from 'node:fs';
import { SeededRandom } from '../../random/seededRandom';
import { writeCrosscoderFiles, type CrosscoderConfig, type CrosscoderWeights } from '../crosscoder';

export type CrosscoderFixture = Omit<CrosscoderWeights, 'config'> & { config: Omit<CrosscoderConfig, 'raw' | 'formatVersion'> };

/** Random crosscoder weights (seeded) in the saved layout, for tests to write and mutate. */
export function randomCrosscoder(dIn: number, dSae: number, k: number, seed: number, over: Partial<CrosscoderFixture['config']> = {}): CrosscoderFixture {
  const rng = new SeededRandom(seed);
  return {
    config: {
      dIn,
      dSae,
      k,
      hookNameA: 'blocks.1.hook_resid_post',
      hookNameB: 'blocks.1.hook_resid_post',
      modelA: 'tiny-a',
      modelB: 'tiny-b',
      datasetPath: '/data/tiny.jsonl',
      contextSize: 32,
      normScaleA: 1.5,
      normScaleB: 0.75,
      prependBos: true,
      ...over,
    },
    W_enc: { data: rng.floats(2 * dIn * dSae, 0.5), shape: [2, dIn, dSae] },
    b_enc: { data: rng.floats(dSae, 0.1), shape: [dSae] },
    W_dec: { data: rng.floats(2 * dSae * dIn, 0.5), shape: [2, dSae, dIn] },
    b_dec: { data: rng.floats(2 * dIn, 0.1), shape: [2, dIn] },
    threshold: { data: Float32Array.from({ length: dSae }, () => Math.abs(rng.normal()) * 0.2), shape: [dSae] },
  };
}

export function writeCrosscoderDir(dir: string, cc: CrosscoderFixture, extra: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true });
  writeCrosscoderFiles(dir, cc, extra);
  return dir;
}
