/**
 * One training run from start (or its last checkpoint) to the exported, evaluated SAEs:
 *  1. resolve and check everything (trainSetup.ts); hold out the dataset's first `evalTokens`
 *     tokens; check the rest holds the token budget (or loop over it when asked);
 *  2. optionally sweep the lr (short trials, best held-out FVE wins);
 *  3. train: batches from the shuffling buffer, one step per SAE, metrics to metrics.jsonl,
 *     checkpoints every N steps / minutes and on pause; a NaN/Inf loss stops the run naming the
 *     step, with the last good checkpoint kept;
 *  4. fold, evaluate on the held-out tokens (FVE, L0, dead %, L2 ratio, CE/KL scores), judge the
 *     quality gates, and write one sae_lens folder per hook.
 * Used by the train.sae job (in a worker) and by `sae-workbench train` (in process).
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { evaluateSaes } from '../evals/evaluateSae';
import { heldOutWindows } from '../evals/heldOutWindows';
import { logSparsity } from '../evals/saeMetrics';
import type { SaeWeights } from '../formats/sae';
import { JobStopped, type StopReason } from '../jobs/kind';
import { LR_SWEEP_MULTIPLIERS, type LrSweepTrial, type TrainRunResult, type TrainSaeParams, type TrainedSae } from '../../preload/contract/train';
import { ActivationCache } from './activationCache';
import { ActivationStream, type DataCursor, type StreamOptions } from './activationStream';
import { readCheckpoint, readCheckpointStep, writeCheckpoint, type RunCheckpoint, type SaeRunState } from './checkpoint';
import { lrAt } from './lrSchedule';
import { MetricsLog } from './metricsLog';
import { judgeGates } from '../evals/evalRun';
import { foldedThreshold, foldedWeights, writeSaeLensFolders, type SaeExport } from './saeExport';
import { initialDecoderBias, inputScaleFor, scaleRowsInPlace } from './inputStatistics';
import { planOutput } from '../outputs/outputPath';
import { PARAMS_FILE, saeFoldersOutput, type TrainOutputRule } from './trainOutput';
import { freshRunState, NonFiniteStep, SaeTrainerGroup, type GroupOptions } from './saeTrainerGroup';
import { bestTrial, runLrSweep, sweepTrialSteps } from './lrSweep';
import { ShufflingBuffer } from './shufflingBuffer';
import { prepareTraining, type TrainSetup } from './trainSetup';

export { PARAMS_FILE } from './trainOutput';

export interface TrainRunContext {
  /** Checkpoint, metrics.jsonl, params.json. */
  runDir: string;
  /** One sae_lens folder per hook goes in here, by the output rule (checked at the start and before writing). */
  outDir: string;
  /** How the user named outDir (default: a path the app chose, nothing to overwrite). */
  output?: TrainOutputRule;
  /** For the activation cache (<home>/activation-cache). */
  home: string;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  progress(fraction: number, message: string, detail?: unknown): void;
  stopRequested(): StopReason | null;
  /** After each checkpoint is on disk. */
  onCheckpoint?(step: number): Promise<void> | void;
}

/** Budgets above this are not pre-scanned for "dataset too small" (it is found lazily instead). */
const PRESCAN_LIMIT_TOKENS = 50_000_000;
/** Metric points per curve, about. */
const POINTS_PER_CURVE = 500;

/**
 * BatchTopK's JumpReLU threshold: sae_lens' moving average of the smallest kept activation, which
 * starts at 0, divided by 1 - (1 - rate)^steps as Adam debiases its moments. Identical after a
 * few hundred steps; without it a short run would save a threshold still rising from 0 (and an
 * L0 several times k).
 */
export function debiasedThreshold(threshold: number, rate: number, steps: number): number {
  return steps > 0 ? threshold / (1 - (1 - rate) ** steps) : threshold;
}

/** The exported SAE as the engine's SaeWeights, to evaluate exactly what is written. */
function inferenceSae(setup: TrainSetup, state: SaeRunState, stepsTrained: number, inputScale: number): SaeWeights {
  const { shape, params, model } = setup;
  const w = foldedWeights(state.train.params, shape, inputScale);
  const hook = setup.hooks[0];
  const topk = params.architecture === 'topk';
  return {
    config: {
      architecture: topk ? 'topk' : 'jumprelu',
      dIn: shape.dIn,
      dSae: shape.dSae,
      k: topk ? params.k : null,
      hookName: hook,
      hookLayer: null,
      modelName: model.config.name,
      dtype: 'float32',
      applyBDecToInput: true,
      normalizeActivations: 'none',
      rescaleActsByDecoderNorm: topk,
      contextSize: setup.contextSize,
      prependBos: setup.prependBos,
      inputScalingFactor: null,
      cfgGeneration: 'v6',
      raw: {},
    },
    W_enc: { data: w.W_enc, shape: [shape.dIn, shape.dSae] },
    W_dec: { data: w.W_dec, shape: [shape.dSae, shape.dIn] },
    b_enc: { data: w.b_enc, shape: [shape.dSae] },
    b_dec: { data: w.b_dec, shape: [shape.dIn] },
    threshold: topk ? null : { data: new Float32Array(shape.dSae).fill(foldedThreshold(debiasedThreshold(state.threshold, params.topkThresholdLr, stepsTrained), inputScale)), shape: [shape.dSae] },
  };
}

/**
 * `stepsTrained`: the steps these states took (a sweep trial's, or the run's), for BatchTopK's
 * debiased threshold. The input scales are folded in: these SAEs read raw activations, as exported.
 */
function saesFor(setup: TrainSetup, states: SaeRunState[], stepsTrained: number, inputScales: readonly number[]): SaeWeights[] {
  return states.map((s, h) => {
    const sae = inferenceSae(setup, s, stepsTrained, inputScales[h]);
    const hook = setup.hooks[h];
    const m = /^blocks\.(\d+)\./.exec(hook);
    return { ...sae, config: { ...sae.config, hookName: hook, hookLayer: m ? Number(m[1]) : null } };
  });
}

function streamOptions(setup: TrainSetup, ctx: TrainRunContext): StreamOptions {
  let skipped = 0;
  return {
    model: setup.model,
    tokenizer: setup.tokenizer,
    plan: setup.plan,
    hooks: setup.hooks,
    contextSize: setup.contextSize,
    prependBos: setup.prependBos,
    device: setup.params.device,
    onSkip: (s) => {
      if (++skipped <= 5) ctx.log('warn', `Skipped document ${s.document} of ${s.file}: ${s.reason}.`);
    },
  };
}

export interface Phase {
  label: string;
  steps: number;
  lr: number;
  states: SaeRunState[];
  startStep: number;
  buffer: ShufflingBuffer;
  /** Per hook: the factor each batch is multiplied by before the step (normalize_activations). */
  inputScales: readonly number[];
  /** Called every step after it is taken (checkpoints, progress). */
  afterStep(step: number, group: SaeTrainerGroup, lrNow: number): Promise<void>;
  /** A pause was asked for before step `step`: checkpoint here (pause = checkpoint and stop). */
  onPause?(step: number, group: SaeTrainerGroup): Promise<void>;
}

/** What a phase needs of a run's setup (SAE runs, and crosscoder runs with `crosscoder`). */
export type PhaseSetup = Pick<TrainSetup, 'hooks' | 'shape' | 'deadWindowSteps'> & {
  params: Pick<TrainSaeParams, 'k' | 'architecture' | 'batchSize' | 'device' | 'auxCoefficient' | 'topkThresholdLr' | 'lrWarmupSteps' | 'lrDecaySteps' | 'lrEnd'>;
  crosscoder?: GroupOptions['crosscoder'];
};

/**
 * Training rows the input scale and the initial b_dec are estimated from: the first batches of the
 * run's first shuffled block (at most that block, so nothing beyond what training reads anyway).
 * sae_lens reads more for its norm estimate; a mean of row norms is within a fraction of a percent
 * at this count, and a geometric median over more rows moves b_dec by less than its first steps do.
 */
const STATISTICS_ROWS = 16_384;

export interface StartingPoint {
  /** Per hook: the factor inputs are multiplied by (1 without normalisation). */
  inputScales: number[];
  /** Per hook: the initial b_dec, in the scaled units the SAE trains in. */
  bDec: Float32Array[];
}

async function startingPoint(setup: TrainSetup, buffer: ShufflingBuffer): Promise<StartingPoint> {
  const p = setup.params;
  const { dIn } = setup.shape;
  const batches = Math.max(1, Math.min(p.bufferBatches, Math.ceil(STATISTICS_ROWS / p.batchSize)));
  const rows = setup.hooks.map(() => new Float32Array(batches * p.batchSize * dIn));
  for (let b = 0; b < batches; b++) {
    const batch = await buffer.next();
    setup.hooks.forEach((hook, h) => rows[h].set(batch[hook], b * p.batchSize * dIn));
  }
  const inputScales = setup.hooks.map((_, h) => inputScaleFor(p.normalizeActivations, rows[h], dIn));
  const bDec = setup.hooks.map((_, h) => initialDecoderBias(p.bDecInit, scaleRowsInPlace(rows[h], inputScales[h]), dIn));
  return { inputScales, bDec };
}

function startStates(setup: TrainSetup, start: StartingPoint): SaeRunState[] {
  return setup.hooks.map((_, h) => {
    const state = freshRunState(setup.shape, setup.params.seed);
    state.train.params.b_dec.set(start.bDec[h]);
    return state;
  });
}

/** Train `phase.steps` steps; returns the final states. */
export async function trainPhase(setup: PhaseSetup, ctx: Pick<TrainRunContext, 'stopRequested'>, metrics: MetricsLog, phase: Phase, elapsedBefore: number): Promise<SaeRunState[]> {
  const p = setup.params;
  const group = await SaeTrainerGroup.create(setup.hooks, phase.states, {
    shape: setup.shape,
    k: p.k,
    activation: p.architecture,
    batchSize: p.batchSize,
    device: p.device,
    auxCoefficient: p.auxCoefficient,
    deadWindowSteps: setup.deadWindowSteps,
    topkThresholdLr: p.topkThresholdLr,
    crosscoder: setup.crosscoder,
  });
  const schedule = { lr: phase.lr, warmupSteps: p.lrWarmupSteps, decaySteps: p.lrDecaySteps, lrEnd: p.lrEnd, totalSteps: phase.steps };
  const logEvery = Math.max(1, Math.floor(phase.steps / POINTS_PER_CURVE));
  const t0 = performance.now();
  try {
    for (let step = phase.startStep; step < phase.steps; ) {
      const stop = ctx.stopRequested();
      if (stop) {
        if (stop === 'pause') await phase.onPause?.(step, group);
        throw new JobStopped(stop);
      }
      const batch = await phase.buffer.next();
      setup.hooks.forEach((hook, h) => scaleRowsInPlace(batch[hook], phase.inputScales[h]));
      const lrNow = lrAt(schedule, step);
      await group.step(batch, step, lrNow);
      step++;
      if (step % logEvery === 0 || step === phase.steps) metrics.append(group.takePoints(step, lrNow, phase.label, (elapsedBefore + performance.now() - t0) / 1000));
      await phase.afterStep(step, group, lrNow);
    }
    return group.snapshot();
  } finally {
    await group.release();
  }
}

export async function runTrainSae(params: TrainSaeParams, ctx: TrainRunContext): Promise<TrainRunResult> {
  const setup = await prepareTraining(params);
  const p = setup.params;
  // The output folder is checked before any work (and again right before writing): a queued job
  // whose `out` went bad while it waited fails now, not after the run.
  const saeOutput = planOutput(saeFoldersOutput(params, ctx.outDir, ctx.output ?? { origin: { surface: 'api' }, overwrite: false, option: 'the output folder' }));
  const so = streamOptions(setup, ctx);

  // The held-out tokens: the dataset's first documents, never trained on.
  const evalSet = await heldOutWindows(setup.plan, setup.tokenizer, setup.prependBos, setup.contextSize, p.evalTokens);
  const trainStart: DataCursor = { ...evalSet.next, row: 0, epoch: 0 };
  // The shuffling buffer reads whole blocks of bufferBatches batches, the last one included.
  const needed = Math.ceil(setup.totalSteps / p.bufferBatches) * p.bufferBatches * p.batchSize;
  if (!p.loopDataset && needed <= PRESCAN_LIMIT_TOKENS) {
    const available = await new ActivationStream(so, trainStart, null, 'training').countRowsUpTo(needed);
    if (available < needed) {
      throw new WorkbenchError(
        'DATASET_TOO_SMALL',
        `The dataset ${setup.plan.path} has ${available} training tokens after the ${evalSet.rows} held-out ones (BOS not counted); the run needs ${needed} (${setup.totalSteps} steps x ${p.batchSize}, read in blocks of ${p.bufferBatches} batches).`,
        `Loop over the dataset (--loop, or "Loop over the dataset" in the form: it would be seen ${(needed / Math.max(1, available)).toFixed(1)} times), train on fewer tokens (at most ${available}), or choose a larger dataset.`,
      );
    }
  }
  // Only once the run can start: a mistyped hook or a too-small dataset leaves no run folder behind to resume.
  fs.mkdirSync(ctx.runDir, { recursive: true });
  const paramsFile = path.join(ctx.runDir, PARAMS_FILE);
  if (!fs.existsSync(paramsFile)) fs.writeFileSync(paramsFile, `${JSON.stringify(params, null, 2)}\n`);
  const cache = p.cacheActivations
    ? new ActivationCache(path.join(ctx.home, 'activation-cache'), {
        model: setup.modelDir,
        modelName: setup.model.config.name,
        hooks: setup.hooks,
        dataset: setup.plan.path,
        textColumn: setup.plan.textColumn,
        contextSize: setup.contextSize,
        prependBos: setup.prependBos,
        blockRows: p.batchSize * p.bufferBatches,
        trainStart,
        device: p.device,
      })
    : null;
  const bufferFor = (start: DataCursor, resume?: RunCheckpoint['buffer']) => {
    const stream = new ActivationStream(so, start, p.loopDataset ? trainStart : null, 'training');
    return new ShufflingBuffer(stream, { hooks: setup.hooks, dIn: setup.shape.dIn, batchSize: p.batchSize, blockBatches: p.bufferBatches, seed: p.seed, cache }, resume ?? undefined);
  };

  const metrics = new MetricsLog(ctx.runDir);
  let cp = readCheckpoint(ctx.runDir, setup.hooks.map(() => setup.shape));
  if (cp && cp.fingerprint !== setup.fingerprint) {
    throw new WorkbenchError('CHECKPOINT_MISMATCH', `${ctx.runDir} holds a checkpoint of a run with other settings (model, hooks, data, sizes or seed differ).`, 'Resume with the settings the run was started with (its params.json), or train into a new folder.');
  }
  metrics.truncate(cp?.metricsLines ?? 0);
  const setupLine = `${setup.hooks.length} SAE(s) ${p.architecture} d_in ${setup.shape.dIn} -> d_sae ${setup.shape.dSae}, k ${p.k}; ${setup.totalSteps} steps of ${p.batchSize} tokens; lr ${setup.lr}${p.lr === undefined ? ' (the default for this shape)' : ''}; held out ${evalSet.rows} tokens; dead window ${setup.deadWindowSteps} steps`;
  ctx.log('info', cp ? `Resuming at step ${cp.step} of ${setup.totalSteps}: ${setupLine}.` : `Starting: ${setupLine}.`);

  const trialSteps = sweepTrialSteps(setup.totalSteps);
  // The sweep's length is known up to its extensions: progress assumes none, then stretches.
  let sweepSteps = p.lrSweep && !cp ? trialSteps * LR_SWEEP_MULTIPLIERS.length : 0;
  const allSteps = () => sweepSteps + setup.totalSteps;
  let doneBefore = 0;
  const t0 = Date.now();
  const elapsedBefore = cp?.elapsedMs ?? 0;
  let epReport = '';

  // 2. The starting point (input scale, b_dec) from the first training rows; a resumed run keeps its own.
  // They are read from the training buffer's first block, which then serves training from its first batch.
  const buffer = bufferFor(trainStart, cp?.buffer);
  let start: StartingPoint | null = null;
  if (!cp) {
    start = await startingPoint(setup, buffer);
    buffer.rewindBlock();
  }
  const inputScales = cp ? (cp.inputScales ?? setup.hooks.map(() => 1)) : start!.inputScales;
  if (start && p.normalizeActivations !== 'none') ctx.log('info', `Input scale (${p.normalizeActivations}): ${setup.hooks.map((h, i) => `${h} x${inputScales[i].toPrecision(4)}`).join(', ')}.`);

  // 3. lr sweep.
  let lr = cp?.lr ?? setup.lr;
  let sweep: LrSweepTrial[] | null = cp?.sweep ?? null;
  if (p.lrSweep && !cp) {
    const trialPhase = (trialLr: number) => trainPhase(setup, ctx, metrics, {
      label: `sweep lr=${trialLr.toPrecision(3)}`,
      steps: trialSteps,
      lr: trialLr,
      states: startStates(setup, start!),
      startStep: 0,
      buffer: bufferFor(trainStart),
      inputScales,
      afterStep: async (step, group) => {
        epReport ||= group.report.running;
        if (step % 5 === 0) ctx.progress((0.95 * (doneBefore + step)) / allSteps(), `lr sweep: trial lr=${trialLr.toPrecision(3)}, step ${step}/${trialSteps}`);
      },
    }, 0);
    const result = await runLrSweep({
      baseLr: setup.lr,
      train: trialPhase,
      score: async (trialLr, states) => {
        const evals = await evaluateSaes(setup.model, saesFor(setup, states, trialSteps, inputScales), { windows: evalSet.windows, bos: setup.prependBos }, { device: p.device, reconstructionOnly: true });
        const fve = evals.reduce((a, e) => a + e.metrics.fve, 0) / evals.length;
        ctx.log('info', `lr sweep: lr ${trialLr.toPrecision(3)} -> held-out FVE ${fve.toFixed(4)} after ${trialSteps} steps.`);
        return fve;
      },
      trialDone: () => { doneBefore += trialSteps; },
      extended: () => { sweepSteps += trialSteps; },
      log: (level, message) => ctx.log(level, message),
      subject: 'the sweep',
      allDivergedHint: 'Start again with a much lower --lr, or check the model: activations too large for float32 overflow.',
    });
    sweep = result.trials;
    lr = result.lr;
    const best = bestTrial(sweep)!;
    ctx.log('info', `lr sweep: training with lr ${lr.toPrecision(3)} (held-out FVE ${best.fve!.toFixed(4)} in its trial).`);
  }

  // 4. Training.
  const states = cp?.saes ?? startStates(setup, start!);
  let lastCheckpoint = Date.now();
  const checkpointNow = (step: number, snapshot: SaeRunState[]) => {
    writeCheckpoint(ctx.runDir, { version: 1, step, fingerprint: setup.fingerprint, lr, sweep, inputScales, buffer: buffer.cursor, metricsLines: metrics.lineCount, elapsedMs: elapsedBefore + (Date.now() - t0), saes: snapshot });
    lastCheckpoint = Date.now();
  };
  if (!cp) {
    // A checkpoint at step 0 records the chosen lr, so a resume never repeats the sweep.
    checkpointNow(0, states);
    cp = readCheckpoint(ctx.runDir, setup.hooks.map(() => setup.shape));
  }
  let finalStates: SaeRunState[];
  let stepMs = 0;
  let lastStep = cp!.step;
  try {
    finalStates = await trainPhase(setup, ctx, metrics, {
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
          // Before the core acknowledges the checkpoint: a pause or cancel it sends on reading this
          // line reaches the worker before the acknowledgement, so the run stops at this very step.
          ctx.log('info', `Checkpoint at step ${step} of ${setup.totalSteps}: a pause, a crash or a restart continues from here.`);
          await ctx.onCheckpoint?.(step);
        }
        if (step % 5 === 0 || step === setup.totalSteps) {
          ctx.progress((0.95 * (doneBefore + step)) / allSteps(), `step ${step}/${setup.totalSteps} · lr ${lrNow.toPrecision(3)}`, { kind: 'train.sae', step, steps: setup.totalSteps });
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
        `The loss became ${err.value} at step ${err.step} of ${setup.totalSteps} (SAE at ${err.hook}); training stopped. The last good checkpoint (step ${kept ?? 0}) is kept.`,
        'Start a new run with a lower --lr (a resumed run keeps its lr and would diverge again), or check the model: activations too large for float32 overflow.',
      );
    }
    throw err;
  }
  const trainMs = elapsedBefore + (Date.now() - t0);

  // 5. Evaluate and export.
  ctx.progress(0.95, 'evaluating on the held-out tokens');
  const saes = saesFor(setup, finalStates, setup.totalSteps, inputScales);
  const evals = await evaluateSaes(setup.model, saes, { windows: evalSet.windows, bos: setup.prependBos }, { device: p.device, onProgress: (f) => ctx.progress(0.95 + 0.04 * f, 'evaluating on the held-out tokens') });
  const tokens = setup.totalSteps * p.batchSize;
  const exports: SaeExport[] = setup.hooks.map((hook, h) => ({
    shape: setup.shape,
    params: finalStates[h].train.params,
    activation: p.architecture,
    k: p.k,
    threshold: debiasedThreshold(finalStates[h].threshold, p.topkThresholdLr, setup.totalSteps),
    inputScale: inputScales[h],
    hookName: hook,
    modelName: setup.model.config.name,
    contextSize: setup.contextSize,
    prependBos: setup.prependBos,
    datasetPath: setup.plan.path,
    finalL0: evals[h].metrics.l0,
    sparsity: logSparsity(evals[h].fireCounts, evals[h].metrics.tokens),
    metadata: { ...(inputScales[h] !== 1 ? { activation_norm_scaling_factor: inputScales[h] } : {}), training_tokens: tokens, heldout_fve: evals[h].metrics.fve, heldout_dead_pct: evals[h].metrics.dead_pct, heldout_tokens: evals[h].metrics.tokens },
    trainingConfig: { ...p, hook, normalize_activations: p.normalizeActivations, activation_norm_scaling_factor: inputScales[h], lr_used: lr, lr_sweep: sweep, d_sae: setup.shape.dSae, context_size: setup.contextSize, dead_window_steps: setup.deadWindowSteps, steps: setup.totalSteps, eval: evals[h].metrics, dictionary: evals[h].dictionary, gates: judgeGates(evals[h].metrics, p.gates).gates },
  }));
  const folders = writeSaeLensFolders(saeOutput, exports);
  const trained: TrainedSae[] = setup.hooks.map((hook, h) => {
    const e = evals[h];
    const verdict = judgeGates(e.metrics, p.gates);
    const out = folders[h];
    ctx.log(verdict.passed ? 'info' : 'warn', `${hook}: held-out FVE ${e.metrics.fve.toFixed(4)}, L0 ${e.metrics.l0.toFixed(2)}, dead ${e.metrics.dead_pct.toFixed(2)} %, duplicates ${e.metrics.duplicate_pct.toFixed(2)} %, dense ${e.metrics.dense_pct.toFixed(2)} %, CE-loss score ${e.metrics.ce_loss_score.toFixed(4)}, KL score ${e.metrics.kl_score.toFixed(4)}: gates ${verdict.passed ? 'passed' : 'FAILED'} -> ${out}`);
    for (const g of verdict.gates) if (!g.pass && !g.blocking) ctx.log('warn', `${hook}: ${g.name} ${g.value.toFixed(2)} is above ${g.threshold} (${e.dictionary!.group_count} group(s) of near-duplicate latents, decoder cosine >= ${e.dictionary!.duplicate_cosine}): a warning, not a failed gate.`);
    return { hook, out, eval: { ...e.metrics }, dictionary: e.dictionary!, gates: verdict.gates, passed: verdict.passed };
  });
  ctx.progress(1, 'done');
  return {
    saes: trained,
    steps: setup.totalSteps,
    tokens,
    tokensPerSecond: trainMs > 0 ? (tokens * 1000) / trainMs : 0,
    stepTokensPerSecond: stepMs > 0 ? (Math.max(0, lastStep - (cp?.step ?? 0)) * p.batchSize * setup.hooks.length * 1000) / stepMs : 0,
    lr,
    sweep,
    executionProvider: epReport || 'cpu',
    runDir: ctx.runDir,
  };
}
