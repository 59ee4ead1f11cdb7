import type { TransformerWeights } from '../formats/transformer';
import { seededRandom } from './randomWeights';
import { referenceForward } from './reference/modelReference';
import { runModel } from './runner';

/** max |a - b| / max |b|: the relative error measure the engine tests hold graphs to. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`relativeError: lengths ${actual.length} and ${expected.length} differ`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** Seeded token sequences of the given lengths, for batches with padding. */
export function randomTokens(seed: number, lengths: number[], vocab: number): number[][] {
  const rand = seededRandom(seed);
  return lengths.map((len) => Array.from({ length: len }, () => Math.floor(rand() * vocab)));
}

/**
 * Run `model` on a padded batch through the ONNX graph and compare every hook and the logits of
 * every sequence with the float64 reference: the worst relative error and where it occurred.
 */
export async function worstForwardError(model: TransformerWeights, tokens: number[][], hooks: string[]): Promise<{ worst: number; where: string }> {
  const run = await runModel(model, tokens, hooks, { logits: true, device: 'cpu' });
  let worst = 0;
  let where = '';
  tokens.forEach((seq, s) => {
    const ref = referenceForward(model, seq);
    const pairs: [string, ArrayLike<number>, ArrayLike<number>][] = hooks.map((h) => [h, run.hooks[h][s].data, ref.hooks.get(h)!]);
    pairs.push(['logits', run.logits![s].data, ref.logits]);
    for (const [name, actual, expected] of pairs) {
      const err = relativeError(actual, expected);
      if (err >= worst) [worst, where] = [err, `${name} seq ${s}`];
    }
  });
  return { worst, where };
}
