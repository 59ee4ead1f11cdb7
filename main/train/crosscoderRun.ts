/**
 * One crosscoder training run from start (or its last checkpoint) to the saved, evaluated folder,
 * on the SAE trainer's machinery: the same phase loop, step graph (crosscoderModels), shuffling
 * buffer, checkpoints, metrics log and lr sweep.
 *  1. resolve and check both models and the dataset (crosscoderSetup.ts); hold out the dataset's
 *     first `evalTokens` tokens; check the rest holds the budget (or loop when asked);
 *  2. estimate each model's input scale on the first training rows (E||x_m / s_m||^2 = d_in), or
 *     take the checkpoint's;
 *  3. optionally sweep the lr (short trials, best mean held-out FVE of the two models wins);
 *  4. train on paired rows (both models run on the same windows, BOS left out), checkpoints every
 *     N steps / minutes and on pause; a NaN/Inf loss stops the run with the last checkpoint kept;
 *  5. save the crosscoder, evaluate exactly what was saved on the held-out tokens (per-model FVE,
 *     L0, dead %), count the Δnorm bands among live latents.
 * Used by the train.crosscoder job (in a worker) and by `sae-workbench crosscoder` (in process).
 */
import fs from 'node:fs';
import path from 'node:path';
import { bandCounts, decoderFigures } from '../compare/crosscoderAnalysis';
import { WorkbenchError } from '../errors';
import { evaluateCrosscoder, type CrosscoderMetrics } from '../evals/crosscoderEval';
import { heldOutWindows } from '../evals/heldOutWindows';
import { logSparsity } from '../evals/saeMetrics';
import { planOutput } from '../outputs/outputPath';
import { DEFAULT_CROSSCODER_BANDS, LR_SWEEP_MULTIPLIERS, type CrosscoderTrainResult, type LrSweepTrial, type TrainCrosscoderParams } from '../../preload/api';
import type { CrosscoderWeights } from '../formats/crosscoder';
import { ActivationStream, type ActivationRows, type DataCursor, type StreamOptions } from './activationStream';
import { readCheckpoint, readCheckpointStep, writeCheckpoint, type RunCheckpoint, type SaeRunState } from './checkpoint';
import { normScaleFor } from './crosscoderInputs';
import { crosscoderFromTraining, writeCrosscoderFolder } from './crosscoderExport';
import { crosscoderFolderOutput, INPUTS_FILE } from './crosscoderOutput';
import { prepareCrosscoderTraining, type CrosscoderSetup } from './crosscoderSetup';
import { MetricsLog } from './metricsLog';
import { freshRunState, NonFiniteStep } from './saeTrainerGroup';
import { ShufflingBuffer } from './shufflingBuffer';
import { PARAMS_FILE } from './trainOutput';
import { debiasedThreshold, trainPhase, type PhaseSetup, type TrainRunContext } from './trainRun';
import { bestTrial, runLrSweep, sweepTrialSteps } from './lrSweep';

/** The one trainer of a crosscoder run, as metric points and messages name it. */
export const CROSSCODER_TRAINER = 'crosscoder';
/** Budgets above this are not pre-scanned for "dataset too small" (found lazily instead). */
const PRESCAN_LIMIT_TOKENS = 50_000_000;

/** The partner model's rows come out under this key (hook names of A and B may be equal). */
const keyB = (hook: string) => `B:${hook}`;

function streamOptions(setup: CrosscoderSetup, ctx: TrainRunContext): StreamOptions {
  let skipped = 0;
  return {
    model: setup.modelA,
    tokenizer: setup.tokenizer,
    plan: setup.plan,
    hooks: [setup.hookA],
    contextSize: setup.contextSize,
    prependBos: setup.prependBos,
    device: setup.params.device,
    partner: { model: setup.modelB, hooks: [setup.hookB], keys: [keyB(setup.hookB)] },
    onSkip: (s) => {
      if (++skipped <= 5) ctx.log('warn', `Skipped document ${s.document} of ${s.file}: ${s.reason}.`);
    },
  };
}

/** A checkpoint of other inputs: name the parts that changed (inputs.json keeps what the run started with). */
function inputsChanged(runDir: string, now: Record<string, unknown>): string {
  try {
    const before = JSON.parse(fs.readFileSync(path.join(runDir, INPUTS_FILE), 'utf8')) as Record<string, unknown>;
    const changed = Object.keys({ ...before, ...now }).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(now[k]));
    return changed.map((k) => `${k} (was ${JSON.stringify(before[k])}, now ${JSON.stringify(now[k])})`).join('; ');
  } catch {
    return 'models, hooks, data, sizes or seed';
  }
}

/** The mean row of x [n, d], divided by `scale` (float64 sums). */
function meanRow(x: Float32Array, d: number, scale: number): Float32Array {
  const sum = new Float64Array(d);
  for (let i = 0; i < x.length; i++) sum[i % d] += x[i];
  const n = x.length / d;
  return Float32Array.from(sum, (v) => v / n / scale);
}

function savedConfig(setup: CrosscoderSetup, scales: [number, number]) {
  return {
    dIn: setup.d,
    dSae: setup.shape.dSae,
    k: setup.params.k,
    hookNameA: setup.hookA,
    hookNameB: setup.hookB,
    modelA: setup.modelA.config.name,
    modelB: setup.modelB.config.name,
    datasetPath: setup.plan.path,
    contextSize: setup.contextSize,
    normScaleA: scales[0],
    normScaleB: scales[1],
    prependBos: setup.prependBos,
  };
}

function weightsOf(setup: CrosscoderSetup, state: SaeRunState, scales: [number, number], steps: number): CrosscoderWeights {
  return crosscoderFromTraining(state.train.params, savedConfig(setup, scales), debiasedThreshold(state.threshold, setup.params.topkThresholdLr, steps));
}

export async function runTrainCrosscoder(params: TrainCrosscoderParams, ctx: TrainRunContext): Promise<CrosscoderTrainResult> {
  const setup = await prepareCrosscoderTraining(params);
  const p = setup.params;
  const output = planOutput(crosscoderFolderOutput(params, ctx.outDir, ctx.output ?? { origin: { surface: 'api' }, overwrite: false, option: 'the output folder' }));
  const so = streamOptions(setup, ctx);
  const keys: [string, string] = [setup.hookA, keyB(setup.hookB)];

  // The held-out tokens: the dataset's first documents, never trained on.
  const evalSet = await heldOutWindows(setup.plan, setup.tokenizer, setup.prependBos, setup.contextSize, p.evalTokens);
  const trainStart: DataCursor = { ...evalSet.next, row: 0, epoch: 0 };
  const needed = Math.ceil(setup.totalSteps / p.bufferBatches) * p.bufferBatches * p.batchSize;
  if (!p.loopDataset && needed <= PRESCAN_LIMIT_TOKENS) {
    const available = await new ActivationStream(so, trainStart, null, 'training').countRowsUpTo(needed);
    if (available < needed) {
      throw new WorkbenchError(
        'DATASET_TOO_SMALL',
        `The dataset ${setup.plan.path} has ${available} training tokens after the ${evalSet.rows} held-out ones (BOS not counted); the run needs ${needed} (${setup.totalSteps} steps x ${p.batchSize}, read in blocks of ${p.bufferBatches} batches).`,
        `Loop over the dataset (--loop, or "Loop over the dataset" in the form), train on fewer tokens (at most ${available}), or choose a larger dataset.`,
      );
    }
  }
  fs.mkdirSync(ctx.runDir, { recursive: true });
  const paramsFile = path.join(ctx.runDir, PARAMS_FILE);
  if (!fs.existsSync(paramsFile)) fs.writeFileSync(paramsFile, `${JSON.stringify(params, null, 2)}\n`);

  const metrics = new MetricsLog(ctx.runDir);
  let cp = readCheckpoint(ctx.runDir, [setup.shape]);
  if (cp && cp.fingerprint !== setup.fingerprint) {
    throw new WorkbenchError('CHECKPOINT_MISMATCH', `${ctx.runDir} holds a checkpoint of a crosscoder run whose inputs differ from these: ${inputsChanged(ctx.runDir, setup.inputs)}.`, 'Resume with the inputs the run was started with (its params.json, and the same model files), or train into a new folder.');
  }
  const inputsFile = path.join(ctx.runDir, INPUTS_FILE);
  if (!cp || !fs.existsSync(inputsFile)) fs.writeFileSync(inputsFile, `${JSON.stringify(setup.inputs, null, 2)}\n`);
  metrics.truncate(cp?.metricsLines ?? 0);
  const line = `crosscoder ${setup.modelA.config.name} @ ${setup.hookA} + ${setup.modelB.config.name} @ ${setup.hookB}: d_in 2 x ${setup.d} -> d_sae ${setup.shape.dSae}, BatchTopK k ${p.k}; ${setup.totalSteps} steps of ${p.batchSize} tokens; held out ${evalSet.rows} tokens; dead window ${setup.deadWindowSteps} steps`;
  ctx.log('info', cp ? `Resuming at step ${cp.step} of ${setup.totalSteps}: ${line}.` : `Starting: ${line}.`);

  // 2. Input scales: from the first training rows, or the checkpoint's.
  let scales: [number, number];
  // b_dec starts at each model's mean normalised activation (a resumed run has its own).
  let bDec: Float32Array | null = null;
  if (cp?.normScales?.length === 2) {
    scales = [cp.normScales[0], cp.normScales[1]];
  } else {
    ctx.progress(0, 'estimating the input scales');
    const rows = await new ActivationStream(so, trainStart, p.loopDataset ? trainStart : null, 'the input scales').take(Math.min(p.normTokens, setup.totalSteps * p.batchSize));
    scales = [normScaleFor(rows.hooks[keys[0]], setup.d, `Model A's activations at ${setup.hookA}`), normScaleFor(rows.hooks[keys[1]], setup.d, `Model B's activations at ${setup.hookB}`)];
    bDec = Float32Array.of(...meanRow(rows.hooks[keys[0]], setup.d, scales[0]), ...meanRow(rows.hooks[keys[1]], setup.d, scales[1]));
    ctx.log('info', `Input scales (E||x / s||^2 = d_in over ${rows.rows} tokens): s_A = ${scales[0].toPrecision(5)}, s_B = ${scales[1].toPrecision(5)}.`);
  }
  const fresh = (): SaeRunState => {
    const s = freshRunState(setup.shape, p.seed);
    if (bDec) s.train.params.b_dec.set(bDec);
    return s;
  };

  let held: ActivationRows | null = null;
  const heldOut = async () => (held ??= await new ActivationStream(so, { document: 0, window: 0, row: 0, epoch: 0 }, null, 'the held-out evaluation').take(evalSet.rows));
  const evaluate = async (w: CrosscoderWeights, onProgress?: (f: number) => void) => {
    const h = await heldOut();
    return evaluateCrosscoder(w, h.hooks[keys[0]], h.hooks[keys[1]], { device: p.device, onProgress });
  };

  const phaseSetup: PhaseSetup = {
    hooks: [CROSSCODER_TRAINER],
    shape: setup.shape,
    deadWindowSteps: setup.deadWindowSteps,
    params: { ...p, architecture: 'batchtopk' },
    crosscoder: { keys, scales },
  };
  const bufferFor = (start: DataCursor, resume?: RunCheckpoint['buffer']) =>
    new ShufflingBuffer(new ActivationStream(so, start, p.loopDataset ? trainStart : null, 'training'), { hooks: keys, dIn: setup.d, batchSize: p.batchSize, blockBatches: p.bufferBatches, seed: p.seed }, resume ?? undefined);

  const trialSteps = sweepTrialSteps(setup.totalSteps);
  // The sweep's length is known up to its extensions: progress assumes none, then stretches.
  let sweepSteps = p.lrSweep && !cp ? trialSteps * LR_SWEEP_MULTIPLIERS.length : 0;
  const allSteps = () => sweepSteps + setup.totalSteps;
  let doneBefore = 0;
  const t0 = Date.now();
  const elapsedBefore = cp?.elapsedMs ?? 0;
  let epReport = '';
  // The crosscoder scales each model's rows itself (phaseSetup.crosscoder.scales): its one trainer reads them unscaled.
  const inputScales = [1];

  // 3. lr sweep: the SAE trainer's plan (lrSweep.ts), ranked by the mean of the two models' held-out FVE.
  let lr = cp?.lr ?? p.lr;
  let sweep: LrSweepTrial[] | null = cp?.sweep ?? null;
  if (p.lrSweep && !cp) {
    const trialPhase = (trialLr: number) => trainPhase(phaseSetup, ctx, metrics, {
      label: `sweep lr=${trialLr.toPrecision(3)}`,
      steps: trialSteps,
      lr: trialLr,
      states: [fresh()],
      startStep: 0,
      buffer: bufferFor(trainStart),
      inputScales,
      afterStep: async (step, group) => {
        epReport ||= group.report.running;
        if (step % 5 === 0) ctx.progress((0.9 * (doneBefore + step)) / allSteps(), `lr sweep: trial lr=${trialLr.toPrecision(3)}, step ${step}/${trialSteps}`);
      },
    }, 0);
    const result = await runLrSweep({
      baseLr: p.lr,
      train: trialPhase,
      score: async (trialLr, states) => {
        const e = await evaluate(weightsOf(setup, states[0], scales, trialSteps));
        ctx.log('info', `lr sweep: lr ${trialLr.toPrecision(3)} -> held-out FVE A ${e.metrics.fve_a.toFixed(4)}, B ${e.metrics.fve_b.toFixed(4)} after ${trialSteps} steps.`);
        return (e.metrics.fve_a + e.metrics.fve_b) / 2;
      },
      trialDone: () => { doneBefore += trialSteps; },
      extended: () => { sweepSteps += trialSteps; },
      log: (level, message) => ctx.log(level, message),
      subject: "the crosscoder's sweep",
      allDivergedHint: 'Start again with a much lower --lr, or check the models: activations too large for float32 overflow.',
    });
    sweep = result.trials;
    lr = result.lr;
    const best = bestTrial(sweep)!;
    ctx.log('info', `lr sweep: training with lr ${lr.toPrecision(3)} (mean held-out FVE ${best.fve!.toFixed(4)} in its trial).`);
  }

  // 4. Training.
  const states = cp?.saes ?? [fresh()];
  const buffer = bufferFor(trainStart, cp?.buffer);
  let lastCheckpoint = Date.now();
  const checkpointNow = (step: number, snapshot: SaeRunState[]) => {
    writeCheckpoint(ctx.runDir, { version: 1, step, fingerprint: setup.fingerprint, lr, sweep, buffer: buffer.cursor, metricsLines: metrics.lineCount, elapsedMs: elapsedBefore + (Date.now() - t0), saes: snapshot, normScales: scales });
    lastCheckpoint = Date.now();
  };
  if (!cp) {
    checkpointNow(0, states);
    cp = readCheckpoint(ctx.runDir, [setup.shape]);
  }
  let finalStates: SaeRunState[];
  let stepMs = 0;
  let lastStep = cp!.step;
  try {
    finalStates = await trainPhase(phaseSetup, ctx, metrics, {
      label: 'train',
      steps: setup.totalSteps,
      lr,
      states,
      startStep: cp!.step,
      buffer,
      inputScales,
      afterStep: async (step, group, lrNow) => {
        lastStep = step;
        stepMs = group.stepMilliseconds;
        epReport ||= group.report.running;
        const minutes = (Date.now() - lastCheckpoint) / 60_000;
        if (step % p.checkpointEverySteps === 0 || minutes >= p.checkpointEveryMinutes || step === setup.totalSteps) {
          checkpointNow(step, group.snapshot());
          ctx.log('info', `Checkpoint at step ${step} of ${setup.totalSteps}: a pause, a crash or a restart continues from here.`);
          await ctx.onCheckpoint?.(step);
        }
        if (step % 5 === 0 || step === setup.totalSteps) {
          ctx.progress((0.9 * (doneBefore + step)) / allSteps(), `step ${step}/${setup.totalSteps} · lr ${lrNow.toPrecision(3)}`, { kind: 'train.crosscoder', step, steps: setup.totalSteps });
        }
      },
      onPause: async (step, group) => {
        if (readCheckpointStep(ctx.runDir) === step) return;
        checkpointNow(step, group.snapshot());
        await ctx.onCheckpoint?.(step);
      },
    }, elapsedBefore);
  } catch (err) {
    if (err instanceof NonFiniteStep) {
      const kept = readCheckpointStep(ctx.runDir);
      throw new WorkbenchError(
        'TRAIN_NONFINITE_LOSS',
        `The loss became ${err.value} at step ${err.step} of ${setup.totalSteps} (crosscoder); training stopped. The last good checkpoint (step ${kept ?? 0}) is kept.`,
        'Start a new run with a lower --lr (a resumed run keeps its lr and would diverge again), or check the models: activations too large for float32 overflow.',
      );
    }
    throw err;
  }
  const trainMs = elapsedBefore + (Date.now() - t0);

  // 5. Save, then evaluate exactly what was saved.
  ctx.progress(0.9, 'evaluating on the held-out tokens');
  const weights = weightsOf(setup, finalStates[0], scales, setup.totalSteps);
  const evaluation = await evaluate(weights, (f) => ctx.progress(0.9 + 0.09 * f, 'evaluating on the held-out tokens'));
  const m: CrosscoderMetrics = evaluation.metrics;
  const live = Array.from(evaluation.fireCounts, (c) => c > 0);
  const counts = bandCounts(decoderFigures(weights.W_dec.data, setup.shape.dSae, setup.d, DEFAULT_CROSSCODER_BANDS), live);
  const tokens = setup.totalSteps * p.batchSize;
  const extra = {
    model_a_path: setup.dirA,
    model_b_path: setup.dirB,
    trained_with: 'sae-workbench',
    training_tokens: tokens,
    heldout_tokens: m.tokens,
    heldout_fve_a: m.fve_a,
    heldout_fve_b: m.fve_b,
    heldout_l0: m.l0,
    heldout_dead_pct: m.dead_pct,
  };
  const trainingConfig = { ...p, hook_a: setup.hookA, hook_b: setup.hookB, lr_used: lr, lr_sweep: sweep, d_sae: setup.shape.dSae, context_size: setup.contextSize, dead_window_steps: setup.deadWindowSteps, steps: setup.totalSteps, norm_scales: scales, eval: m, bands: counts };
  const out = writeCrosscoderFolder(output, weights, extra, logSparsity(evaluation.fireCounts, m.tokens), trainingConfig);
  ctx.log('info', `Held-out FVE A ${m.fve_a.toFixed(4)}, B ${m.fve_b.toFixed(4)}, L0 ${m.l0.toFixed(2)}, dead ${m.dead_pct.toFixed(2)} %; live latents: ${counts['a-only']} A-only, ${counts.shared} shared, ${counts['b-only']} B-only (Δnorm bands) -> ${out}`);
  ctx.progress(1, 'done');
  return {
    out,
    fve_a: m.fve_a,
    fve_b: m.fve_b,
    l0: m.l0,
    dead_pct: m.dead_pct,
    n_a_only: counts['a-only'],
    n_shared: counts.shared,
    n_b_only: counts['b-only'],
    heldOutTokens: m.tokens,
    normScales: scales,
    steps: setup.totalSteps,
    tokens,
    tokensPerSecond: trainMs > 0 ? (tokens * 1000) / trainMs : 0,
    stepTokensPerSecond: stepMs > 0 ? (Math.max(0, lastStep - (cp?.step ?? 0)) * p.batchSize * 1000) / stepMs : 0,
    lr,
    sweep,
    executionProvider: epReport || evaluation.report?.running || 'cpu',
    runDir: ctx.runDir,
  };
}
