/**
 * (lr) The study behind the training defaults (the lr rule, input normalisation, b_dec from the
 * data): over shapes from d_in 64 to 768 and two token budgets, held-out FVE, dead % and L0 of
 *  - the old defaults (lr 1e-3, raw inputs, b_dec = 0),
 *  - the new defaults (defaultLr: 0.12 sqrt(k / d_sae) / d_in^(1/4), expected_average_only_in,
 *    b_dec = geometric median),
 *  - the best of an lr sweep around the new default (x 0.25 ... 4, extended past an edge as the
 *    run's own --lr-sweep does, lrSweep.ts), with the new defaults otherwise,
 *  - the new defaults with b_dec = 0 (sae_lens 6.x) instead of the median, to show what that buys;
 *  - and the new defaults with normalisation off (raw inputs), to show what it buys; then the
 *    same activations (one model's mlp_out, its last layer's W_out scaled) at x0.01, x1 and x100:
 *    normalised vs raw at the default lr, and the best lr of a sweep on raw inputs.
 * Models: the demo's adhd model (d_in 64) and GPT-2-shaped models with random weights at d_in 96 to
 * 768 (2 layers, the demo's tokenizer and text), trained through runTrainSae itself with the
 * activation cache, so each model runs once per shape. 2 CPU cores cannot train d_sae 16k in
 * minutes: widths are scaled down (512 to 4096), batch 1024, budgets of 80 and 320 steps.
 *
 * From the full runs' curves the study also reads how long an lr-sweep trial must be to rank lrs:
 * a trial is the run's first steps at its lr, so the lr leading at 6 / 10 / 25 % of the steps is
 * what a trial that long would pick; its final FVE is compared with the best one.
 *
 * Results are cached by configuration in <tmp>/sae-wb-lrstudy (runs are seconds to minutes
 * each); `--fresh` (SAE_WB_LRSTUDY_FRESH=1) starts over.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDemoBundle } from '../main/demo/demoBundle';
import type { DeviceChoice } from '../main/engine/executionProviders';
import { randomTransformer } from '../main/engine/randomWeights';
import { writeGpt2Directory } from '../main/formats/models/gpt2Writer';
import { nextSweepLr } from '../main/train/lrSweep';
import { readMetrics } from '../main/train/metricsLog';
import { runTrainSae } from '../main/train/trainRun';
import { defaultLr, OLD_DEFAULT_LR, TrainSaeParamsSchema, type LrSweepTrial, type TrainSaeParamsInput } from '../preload/contract/train';

interface Shape {
  name: string;
  model: string;
  hook: string;
  dIn: number;
  dSae: number;
  k: number;
}

interface RunOutcome {
  lr: number;
  fve: number | null;
  dead: number;
  l0: number;
  /** Training FVE (mean over the steps of the window) at 6, 10, 25 % of the steps: what a trial that long would see. */
  early: Record<string, number>;
}

const BATCH = 1024;
const BUDGET_STEPS = [80, 320];
const EARLY = [0.06, 0.1, 0.25];

function studyShapes(home: string): Shape[] {
  const demo = ensureDemoBundle(home);
  const randomModel = (dModel: number, nHeads: number): string => {
    const dir = path.join(home, `random-gpt2-${dModel}`);
    if (!fs.existsSync(path.join(dir, 'config.json'))) {
      const m = randomTransformer({ nLayers: 2, dModel, nHeads, dVocab: 225, nCtx: 128, seed: dModel, name: `random-gpt2-${dModel}` });
      m.b_U.data.fill(0);
      writeGpt2Directory(dir, m);
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(demo.models.standard, f), path.join(dir, f));
    }
    return dir;
  };
  return [
    { name: 'demo d64 resid', model: demo.models.adhd, hook: 'blocks.2.hook_resid_post', dIn: 64, dSae: 512, k: 8 },
    { name: 'demo d64 resid wide', model: demo.models.adhd, hook: 'blocks.1.hook_resid_post', dIn: 64, dSae: 4096, k: 32 },
    { name: 'gpt2 d96 resid', model: randomModel(96, 4), hook: 'blocks.1.hook_resid_post', dIn: 96, dSae: 768, k: 16 },
    { name: 'gpt2 d128 mlp_out', model: randomModel(128, 4), hook: 'blocks.1.hook_mlp_out', dIn: 128, dSae: 1024, k: 64 },
    { name: 'gpt2 d384 resid', model: randomModel(384, 6), hook: 'blocks.1.hook_resid_post', dIn: 384, dSae: 1536, k: 32 },
    { name: 'gpt2 d768 resid', model: randomModel(768, 12), hook: 'blocks.1.hook_resid_post', dIn: 768, dSae: 1024, k: 16 },
  ];
}

/** The d128 mlp_out shape's activations at other scales (same data: the hook is linear in the last W_out). */
function scaledShapes(home: string, base: Shape): Shape[] {
  const demo = ensureDemoBundle(home);
  return [0.01, 100].map((scale) => {
    const dir = path.join(home, `random-gpt2-128-x${scale}`);
    if (!fs.existsSync(path.join(dir, 'config.json'))) {
      const m = randomTransformer({ nLayers: 2, dModel: 128, nHeads: 4, dVocab: 225, nCtx: 128, seed: 128, name: 'random-gpt2-128' });
      m.b_U.data.fill(0);
      const last = m.blocks[m.blocks.length - 1];
      for (const t of [last.W_out, last.b_out]) t.data.forEach((v, i) => (t.data[i] = v * scale));
      writeGpt2Directory(dir, m);
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(demo.models.standard, f), path.join(dir, f));
    }
    return { ...base, name: `${base.name} x${scale}`, model: dir };
  });
}

type Variant = 'old' | 'new' | 'raw' | 'zeros';

function paramsFor(shape: Shape, steps: number, lr: number, variant: Variant, demoDataset: string, device: DeviceChoice): TrainSaeParamsInput {
  return {
    model: shape.model,
    hooks: [shape.hook],
    dataset: demoDataset,
    k: shape.k,
    dSae: shape.dSae,
    tokens: steps * BATCH,
    batchSize: BATCH,
    bufferBatches: 8,
    lr,
    evalTokens: 8192,
    loopDataset: true,
    cacheActivations: true,
    device,
    normalizeActivations: variant === 'new' || variant === 'zeros' ? 'expected_average_only_in' : 'none',
    bDecInit: variant === 'old' || variant === 'zeros' ? 'zeros' : 'geometric_median',
    checkpointEverySteps: 100_000,
  };
}

/** Mean training FVE over the last tenth of the steps up to `fraction` of the run. */
function earlyFve(runDir: string, steps: number, fraction: number): number {
  const end = Math.max(1, Math.round(steps * fraction));
  const from = Math.max(1, end - Math.max(1, Math.round(steps * 0.03)));
  const pts = readMetrics(runDir).points.filter((p) => p.phase === 'train' && p.step >= from && p.step <= end);
  return pts.reduce((a, p) => a + p.fve, 0) / Math.max(1, pts.length);
}

export async function lrStudy(device: DeviceChoice, log: (line: string) => void = () => {}): Promise<string[]> {
  const root = path.join(os.tmpdir(), 'sae-wb-lrstudy');
  if (process.env.SAE_WB_LRSTUDY_FRESH === '1' || process.argv.includes('--fresh')) fs.rmSync(root, { recursive: true, force: true });
  const home = path.join(root, 'home');
  fs.mkdirSync(home, { recursive: true });
  const cacheFile = path.join(root, 'results.json');
  const cache: Record<string, RunOutcome> = fs.existsSync(cacheFile) ? JSON.parse(fs.readFileSync(cacheFile, 'utf8')) : {};
  const demoDataset = ensureDemoBundle(home).dataset;
  const shapes = studyShapes(home);
  const t0 = performance.now();
  let runs = 0;

  const run = async (shape: Shape, steps: number, lr: number, variant: Variant): Promise<RunOutcome> => {
    const key = JSON.stringify([shape.name, shape.dSae, shape.k, steps, lr.toPrecision(6), variant]);
    if (cache[key]) return cache[key];
    const runDir = fs.mkdtempSync(path.join(root, 'run-'));
    const t = performance.now();
    let outcome: RunOutcome;
    try {
      const res = await runTrainSae(TrainSaeParamsSchema.parse(paramsFor(shape, steps, lr, variant, demoDataset, device)), { runDir, outDir: path.join(runDir, 'saes'), home, log: () => {}, progress: () => {}, stopRequested: () => null });
      const e = res.saes[0].eval;
      outcome = { lr, fve: e.fve, dead: e.dead_pct, l0: e.l0, early: Object.fromEntries(EARLY.map((f) => [String(f), earlyFve(runDir, steps, f)])) };
    } catch (err) {
      if ((err as { code?: string }).code !== 'TRAIN_NONFINITE_LOSS') throw err;
      outcome = { lr, fve: null, dead: 100, l0: 0, early: {} };
    } finally {
      fs.rmSync(runDir, { recursive: true, force: true });
    }
    runs++;
    log(`  ${shape.name} ${steps} steps ${variant} lr ${lr.toPrecision(3)}: FVE ${outcome.fve?.toFixed(4) ?? 'diverged'}, dead ${outcome.dead.toFixed(1)} %, L0 ${outcome.l0.toFixed(1)} (${((performance.now() - t) / 1000).toFixed(0)} s)`);
    cache[key] = outcome;
    fs.writeFileSync(cacheFile, JSON.stringify(cache));
    return outcome;
  };

  /** The sweep the run's --lr-sweep would walk, with full-length runs as its trials. */
  const sweep = async (shape: Shape, steps: number, base: number, variant: Variant): Promise<RunOutcome[]> => {
    const trials: LrSweepTrial[] = [];
    const outcomes: RunOutcome[] = [];
    for (let lr = nextSweepLr(trials, base); lr !== null; lr = nextSweepLr(trials, base)) {
      const o = await run(shape, steps, lr, variant);
      outcomes.push(o);
      trials.push({ lr, fve: o.fve });
    }
    return outcomes;
  };

  const f = (v: number | null, d = 4) => (v === null ? 'diverged' : v.toFixed(d));
  const cell = (o: RunOutcome) => `${f(o.fve).padStart(8)} ${o.dead.toFixed(1).padStart(5)} ${o.l0.toFixed(1).padStart(5)}`;
  const lines = [
    `(lr) training defaults across shapes: TopK, batch ${BATCH}, held-out FVE / dead % / L0 on 8192 tokens; old = lr 1e-3, raw inputs, b_dec 0; new = defaultLr (0.12 sqrt(k / d_sae) / d_in^0.25), expected_average_only_in, b_dec geometric median; best = best of the lr sweep (x0.25..x4 around the new lr, extended past an edge); b_dec 0 = new defaults with b_dec = 0; raw = new defaults without normalisation`,
    `    ${'shape (d_in -> d_sae, k)'.padEnd(38)}${'steps'.padStart(6)} | ${'old: FVE  dead    L0'.padStart(22)} | ${'new lr'.padStart(8)} ${'FVE  dead    L0'.padStart(20)} | ${'best lr'.padStart(8)} ${'FVE  dead    L0'.padStart(20)} | ${'b_dec 0: FVE  dead    L0'.padStart(20)} | ${'raw: FVE  dead    L0'.padStart(20)} | best-new`,
  ];
  const trialRows: string[] = [];
  let worstGap = 0;
  for (const shape of shapes) {
    for (const steps of BUDGET_STEPS) {
      const lrNew = defaultLr(shape);
      const old = await run(shape, steps, OLD_DEFAULT_LR, 'old');
      const outcomes = await sweep(shape, steps, lrNew, 'new');
      const fresh = outcomes.find((o) => o.lr === lrNew) ?? (await run(shape, steps, lrNew, 'new'));
      const best = outcomes.reduce((a, b) => ((b.fve ?? -Infinity) > (a.fve ?? -Infinity) ? b : a));
      const raw = await run(shape, steps, lrNew, 'raw');
      const zeros = await run(shape, steps, lrNew, 'zeros');
      const gap = (best.fve ?? 0) - (fresh.fve ?? -Infinity);
      worstGap = Math.max(worstGap, gap);
      const deadOk = fresh.dead < 5 || !outcomes.some((o) => o.dead < 5);
      lines.push(
        `    ${`${shape.name} (${shape.dIn} -> ${shape.dSae}, k ${shape.k})`.padEnd(38)}${String(steps).padStart(6)} | ${cell(old).padStart(22)} | ${fresh.lr.toExponential(1).padStart(8)} ${cell(fresh)} | ${best.lr.toExponential(1).padStart(8)} ${cell(best)} | ${cell(zeros)} | ${cell(raw)} | ${gap.toFixed(4).padStart(7)}${gap <= 0.02 && deadOk ? '' : ' (!)'}`,
      );
      if (steps === BUDGET_STEPS[BUDGET_STEPS.length - 1]) {
        // Which lr would a trial of each length pick, and how far is its final FVE from the best?
        const picks = EARLY.map((fr) => {
          const leader = outcomes.filter((o) => o.fve !== null).reduce((a, b) => ((b.early[String(fr)] ?? -Infinity) > (a.early[String(fr)] ?? -Infinity) ? b : a));
          return `${Math.round(fr * 100)} %: lr ${leader.lr.toExponential(1)} (-${((best.fve ?? 0) - (leader.fve ?? 0)).toFixed(4)})`;
        });
        trialRows.push(`    ${shape.name.padEnd(22)} best ${best.lr.toExponential(1)}; a trial of ${picks.join('; ')}`);
      }
    }
  }
  lines.push(`    worst gap new defaults vs the sweep's best: ${worstGap.toFixed(4)} FVE (target <= 0.02)`);
  // Normalisation: the same activations at three scales.
  const base = shapes.find((x) => x.name === 'gpt2 d128 mlp_out')!;
  const steps = BUDGET_STEPS[BUDGET_STEPS.length - 1];
  lines.push(`  normalisation: ${base.name} activations scaled (the last W_out x s), ${steps} steps; new defaults with and without normalisation, and the best lr of a sweep on raw inputs`);
  lines.push(`    ${'scale'.padEnd(8)} | ${'normalised: FVE  dead    L0'.padStart(28)} | ${'raw: FVE  dead    L0'.padStart(21)} | ${'raw sweep best lr'.padStart(17)} ${'FVE'.padStart(8)}`);
  for (const [scale, shape] of [[1, base], ...scaledShapes(home, base).map((x, i): [number, Shape] => [[0.01, 100][i], x])] as [number, Shape][]) {
    const lrNew = defaultLr(shape);
    const normed = await run(shape, steps, lrNew, 'new');
    const raw = await run(shape, steps, lrNew, 'raw');
    const rawSweep = await sweep(shape, steps, lrNew, 'raw');
    const rawBest = rawSweep.reduce((a, b) => ((b.fve ?? -Infinity) > (a.fve ?? -Infinity) ? b : a));
    lines.push(`    ${`x${scale}`.padEnd(8)} | ${cell(normed).padStart(28)} | ${cell(raw).padStart(21)} | ${rawBest.lr.toExponential(1).padStart(17)} ${f(rawBest.fve).padStart(8)}`);
  }
  lines.push(`  lr-sweep trial length (${BUDGET_STEPS.at(-1)}-step runs): the lr leading at a share of the steps, and its final FVE below the best`);
  lines.push(...trialRows);
  lines.push(`  ${runs} new runs in ${((performance.now() - t0) / 60_000).toFixed(1)} min (cached results in ${cacheFile})`);
  return lines;
}
