import { randomTransformer, seededRandom } from '../main/engine/randomWeights';
import { runModel } from '../main/engine/runner';
import { releaseSessions } from '../main/engine/session';
import type { DeviceChoice } from '../main/engine/executionProviders';
import { matmulBaseline } from './matmulBaseline';
import { fmt, gflops, time } from './timing';

/** FLOPs of one forward to logits: every GEMM plus the two attention products over the full square. */
export function forwardFlop(c: { nLayers: number; dModel: number; dMlp: number; dVocab: number; nHeads: number; dHead: number }, batch: number, seq: number): number {
  const tokens = batch * seq;
  const hd = c.nHeads * c.dHead;
  const perLayer = 2 * tokens * (c.dModel * 3 * hd + hd * c.dModel + 2 * c.dModel * c.dMlp) + 2 * 2 * batch * seq * seq * hd;
  return c.nLayers * perLayer + 2 * tokens * c.dModel * c.dVocab;
}

/** (a) GPT-2-small-shaped forward, batch x seq tokens to logits, vs a plain MatMul of the MLP's shape. */
export async function modelForwardBench(device: DeviceChoice, batch = 8, seq = 128, reps = 3): Promise<string[]> {
  const model = randomTransformer({ nLayers: 12, dModel: 768, nHeads: 12, dMlp: 3072, dVocab: 50257, nCtx: 1024, seed: 1 });
  const rand = seededRandom(5);
  const tokens = Array.from({ length: batch }, () => Array.from({ length: seq }, () => Math.floor(rand() * 50257)));
  const t0 = performance.now();
  const first = await runModel(model, tokens, [], { logits: true, device, batchSize: batch });
  const buildMs = performance.now() - t0;
  const fwd = await time(() => runModel(model, tokens, [], { logits: true, device, batchSize: batch }), { warmup: 0, reps, budgetMs: 15_000 });
  const flop = forwardFlop(model.config, batch, seq);
  const base = await matmulBaseline(batch * seq, 768, 3072, device);
  await releaseSessions();
  const achieved = gflops(flop, fwd.best);
  const ceiling = gflops(base.flop, base.timing.best);
  return [
    `(a) GPT-2-small forward (12x768, vocab 50257), ${batch}x${seq} tokens to logits on ${first.report.running}: ${fmt(fwd)}, ${(flop / 1e9).toFixed(1)} GFLOP -> ${achieved.toFixed(1)} GFLOP/s (first call incl. graph build + session: ${(buildMs / 1000).toFixed(1)} s)`,
    `    plain MatMul [${batch * seq}x768]@[768x3072] on ${base.ep}: ${fmt(base.timing)} -> ${ceiling.toFixed(1)} GFLOP/s`,
    `    ratio forward/MatMul GFLOP/s = ${(achieved / ceiling).toFixed(2)}x (target >= 0.6x)`,
  ];
}
