/**
 * Seeded text generation with and without an intervention: each step runs the whole context
 * (no KV cache; these are short texts) and samples the next token from softmax(logits / T) by
 * inverse CDF with one uniform number per step, so two generations with the same seed draw the
 * same numbers and differ only where the intervention changes the distribution. T = 0 is greedy.
 */
import type { DeviceChoice } from '../engine/executionProviders';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { runWithEdit } from '../engine/intervention';
import { runModel } from '../engine/runner';
import type { Tensor32 } from '../formats/tensor';
import { SeededRandom } from '../random/seededRandom';
import type { ExperimentModel } from './experimentInputs';

export interface GenerationEdit {
  hook: string;
  /** Edited activations [len, d] at the hook for the current context tokens. */
  apply(acts: Tensor32, tokens: number[]): Tensor32 | Promise<Tensor32>;
}

/** The next token from a logits row: argmax at T = 0, else inverse CDF of softmax(row / T) at u. */
export function sampleToken(row: ArrayLike<number>, temperature: number, u: number): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  if (temperature === 0) return best;
  const weights = new Float64Array(row.length);
  let total = 0;
  for (let i = 0; i < row.length; i++) total += weights[i] = Math.exp((row[i] - row[best]) / temperature);
  let target = u * total;
  for (let i = 0; i < row.length; i++) {
    target -= weights[i];
    if (target < 0) return i;
  }
  return row.length - 1;
}

export async function generateTokens(
  model: ExperimentModel,
  prompt: number[],
  opts: { maxNewTokens: number; temperature: number; seed: number; device: DeviceChoice; edit?: GenerationEdit },
): Promise<number[]> {
  const rng = new SeededRandom(opts.seed);
  const c = model.weights.config;
  const tokens = [...prompt];
  const out: number[] = [];
  for (let step = 0; step < opts.maxNewTokens; step++) {
    const context = tokens.slice(-c.nCtx);
    const edit = opts.edit;
    const run = edit
      ? await runWithEdit(model.weights, [context], edit.hook, async (a) => [await edit.apply(a[0], context)], [], { logits: true, device: opts.device })
      : await runModel(model.weights, [context], [], { logits: true, device: opts.device });
    const logits = run.logits![0];
    const V = logits.shape[1];
    const row = logits.data.subarray((context.length - 1) * V, context.length * V);
    // NaN compares false everywhere: sampling would quietly return token 0 (or the last one).
    requireFiniteOutputs({ 'next-token logits': { data: row, shape: [1, V] } }, `generating token ${step + 1}${edit ? ' with the intervention' : ''}`);
    const next = sampleToken(row, opts.temperature, rng.next());
    out.push(next);
    tokens.push(next);
    if (c.eosTokenId !== null && next === c.eosTokenId) break;
  }
  return out;
}
