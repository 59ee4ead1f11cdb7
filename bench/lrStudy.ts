import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDemoBundle } from '../main/demo/demoBundle';
import type { DeviceChoice } from '../main/engine/executionProviders';
import { runTrainSae } from '../main/train/trainRun';
import { TrainSaeParamsSchema } from '../preload/contract/train';

/**
 * (lr) How the default lr was chosen: held-out FVE of TopK SAEs on the demo's adhd
 * blocks.2.hook_resid_post at two widths and two token budgets, for lrs around sae_lens' 3e-4.
 * Activations are cached on disk after the first run, so the later runs cost the SAE steps only.
 */
export async function lrStudy(device: DeviceChoice, opts: { widths?: number[]; budgets?: number[]; lrs?: number[] } = {}): Promise<string[]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-lrstudy-'));
  try {
    const demo = ensureDemoBundle(home);
    const widths = opts.widths ?? [64, 256];
    const budgets = opts.budgets ?? [100_000, 400_000];
    const lrs = opts.lrs ?? [3e-4, 1e-3, 3e-3, 1e-2];
    const lines = [`(lr) held-out FVE, TopK k 8, batch 1024, demo adhd blocks.2.hook_resid_post (d_in 64); rows: d_sae x tokens, columns: lr`];
    lines.push(`    ${'d_sae / tokens'.padEnd(18)}${lrs.map((l) => l.toExponential(0).padStart(9)).join('')}   best`);
    const wins = new Map<number, number>();
    for (const dSae of widths) {
      for (const tokens of budgets) {
        const fves: number[] = [];
        for (const lr of lrs) {
          const runDir = fs.mkdtempSync(path.join(home, 'run-'));
          const params = TrainSaeParamsSchema.parse({ model: demo.models.adhd, hooks: ['blocks.2.hook_resid_post'], dataset: demo.dataset, k: 8, dSae, tokens, batchSize: 1024, lr, evalTokens: 8192, loopDataset: true, cacheActivations: true, device });
          const res = await runTrainSae(params, { runDir, outDir: path.join(runDir, 'saes'), home, log: () => {}, progress: () => {}, stopRequested: () => null });
          fves.push(res.saes[0].eval.fve);
          fs.rmSync(runDir, { recursive: true, force: true });
        }
        const best = lrs[fves.indexOf(Math.max(...fves))];
        wins.set(best, (wins.get(best) ?? 0) + 1);
        lines.push(`    ${`${dSae} / ${tokens / 1000}k`.padEnd(18)}${fves.map((f) => f.toFixed(4).padStart(9)).join('')}   ${best.toExponential(0)}`);
      }
    }
    lines.push(`    best lr per setting: ${[...wins].map(([lr, n]) => `${lr.toExponential(0)} x${n}`).join(', ')}`);
    return lines;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
