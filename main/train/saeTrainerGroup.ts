/**
 * The SAEs of one run (one per hook) stepping together on the same batches: each has its step
 * runner, its dead-latent counters (sae_lens: n_forward_passes_since_fired, dead when above the
 * window; the mask of step t is the one before step t) and the sums of the logging interval.
 */
import type { DeviceChoice, EpReport } from '../engine/executionProviders';
import { deadPercent, fveFromSums } from '../evals/saeMetrics';
import type { TrainMetricPoint } from '../../preload/contract/train';
import { emptyInterval, type SaeRunState } from './checkpoint';
import { cloneTensors, freshTrainState, type SaeShape } from './saeParams';
import { pairedInput } from './crosscoderInputs';
import { SaeStepRunner, type StepSpec } from './stepRunner';
import { NO_POSITIVE_ACT, type SaeActivation } from './trainStepGraph';

export interface GroupOptions {
  shape: SaeShape;
  k: number;
  activation: SaeActivation;
  batchSize: number;
  device: DeviceChoice;
  auxCoefficient: number;
  deadWindowSteps: number;
  topkThresholdLr: number;
  /**
   * A crosscoder (trainStepGraph's crosscoderModels = 2): the one trainer reads the batch's two
   * models' rows under `keys`, each divided by its model's scale, side by side.
   */
  crosscoder?: { keys: [string, string]; scales: [number, number] };
}

/** A step whose loss was NaN or Inf: nothing was committed. */
export class NonFiniteStep extends Error {
  constructor(
    readonly step: number,
    readonly hook: string,
    readonly value: number,
  ) {
    super(`non-finite loss at step ${step} (${hook})`);
  }
}

export function freshRunState(shape: SaeShape, seed: number): SaeRunState {
  return { train: freshTrainState(shape, seed), sinceFired: new Float64Array(shape.dSae), fireCount: new Float64Array(shape.dSae), threshold: 0, interval: emptyInterval() };
}

export class SaeTrainerGroup {
  private stepMs = 0;
  private intervalStart = performance.now();
  private intervalStepMs = 0;

  private constructor(
    readonly hooks: string[],
    private readonly runners: SaeStepRunner[],
    private readonly run: SaeRunState[],
    private readonly o: GroupOptions,
  ) {}

  static async create(hooks: string[], states: SaeRunState[], o: GroupOptions): Promise<SaeTrainerGroup> {
    const spec: StepSpec = { dIn: o.shape.dIn, dSae: o.shape.dSae, k: o.k, activation: o.activation, batchSize: o.batchSize, formulation: 'sparse', beta1: 0.9, beta2: 0.999, clipNorm: 1, ...(o.crosscoder ? { crosscoderModels: 2 } : {}) };
    const runners: SaeStepRunner[] = [];
    for (const s of states) runners.push(await SaeStepRunner.create(spec, s.train, o.device));
    return new SaeTrainerGroup(hooks, runners, states, o);
  }

  get report(): EpReport {
    return this.runners[0].report;
  }

  /** Milliseconds spent in train steps (all SAEs) since the group was created. */
  get stepMilliseconds(): number {
    return this.stepMs;
  }

  deadLatents(h: number): number[] {
    const out: number[] = [];
    const since = this.run[h].sinceFired;
    for (let j = 0; j < since.length; j++) if (since[j] > this.o.deadWindowSteps) out.push(j);
    return out;
  }

  /** One optimizer step of every SAE on its hook's batch. `step` is 0-based. */
  async step(batch: Record<string, Float32Array>, step: number, lr: number): Promise<void> {
    for (const [h, hook] of this.hooks.entries()) {
      const s = this.run[h];
      const t0 = performance.now();
      const x = this.o.crosscoder ? pairedInput(batch, this.o.crosscoder, this.o.shape.dIn / 2) : batch[hook];
      const res = await this.runners[h].step(x, { lr, t: step + 1, dead: this.deadLatents(h), auxCoefficient: this.o.auxCoefficient });
      const dt = performance.now() - t0;
      this.stepMs += dt;
      this.intervalStepMs += dt;
      if (!res.finite) throw new NonFiniteStep(step + 1, hook, Number.isFinite(res.stats.mse) ? res.stats.aux : res.stats.mse);
      for (let j = 0; j < s.sinceFired.length; j++) {
        const c = res.fireCounts[j];
        s.fireCount[j] += c;
        s.sinceFired[j] = c > 0 ? 0 : s.sinceFired[j] + 1;
      }
      if (this.o.activation === 'batchtopk' && res.stats.min_positive_act < NO_POSITIVE_ACT) {
        const r = this.o.topkThresholdLr;
        s.threshold = (1 - r) * s.threshold + r * res.stats.min_positive_act;
      }
      const iv = s.interval;
      iv.steps++;
      iv.mse += res.stats.mse;
      iv.aux += res.stats.aux;
      iv.sse += res.stats.sse;
      iv.totalVar += res.stats.total_var;
      iv.l0 += res.stats.l0_sum;
      iv.gradNorm += res.stats.grad_norm;
      if (res.modelStats) {
        iv.models ??= Array.from({ length: res.modelStats.length / 2 }, () => ({ sse: 0, totalVar: 0 }));
        iv.models.forEach((m, i) => {
          m.sse += res.modelStats![2 * i];
          m.totalVar += res.modelStats![2 * i + 1];
        });
      }
    }
  }

  /** Close the logging interval: one point per SAE, averaged over the interval's steps. */
  takePoints(step: number, lr: number, phase: string, elapsedS: number): TrainMetricPoint[] {
    const now = performance.now();
    const wall = (now - this.intervalStart) / 1000;
    const points = this.hooks.map((hook, h): TrainMetricPoint => {
      const iv = this.run[h].interval;
      const n = Math.max(1, iv.steps);
      const tokens = iv.steps * this.o.batchSize;
      return {
        hook,
        step,
        tokens: step * this.o.batchSize,
        loss: (iv.mse + iv.aux) / n,
        mse: iv.mse / n,
        aux: iv.aux / n,
        fve: fveFromSums(iv.sse, iv.totalVar),
        l0: iv.l0 / Math.max(1, tokens),
        dead_pct: deadPercent(this.deadLatents(h).length, this.o.shape.dSae),
        lr,
        grad_norm: iv.gradNorm / n,
        tokens_per_s: wall > 0 ? tokens / wall : 0,
        step_tokens_per_s: this.intervalStepMs > 0 ? (tokens * this.hooks.length) / (this.intervalStepMs / 1000) : 0,
        elapsed_s: elapsedS,
        phase,
        ...(iv.models ? { fve_a: fveFromSums(iv.models[0].sse, iv.models[0].totalVar), fve_b: fveFromSums(iv.models[1].sse, iv.models[1].totalVar) } : {}),
      };
    });
    for (const s of this.run) s.interval = emptyInterval();
    this.intervalStart = now;
    this.intervalStepMs = 0;
    return points;
  }

  /** A copy of every SAE's state, for a checkpoint or the export. */
  snapshot(): SaeRunState[] {
    return this.run.map((s, h) => {
      const live = this.runners[h].state();
      return { train: { params: cloneTensors(live.params), m: cloneTensors(live.m), v: cloneTensors(live.v) }, sinceFired: Float64Array.from(s.sinceFired), fireCount: Float64Array.from(s.fireCount), threshold: s.threshold, interval: { ...s.interval, ...(s.interval.models ? { models: s.interval.models.map((m) => ({ ...m })) } : {}) } };
    });
  }

  async release(): Promise<void> {
    for (const r of this.runners) await r.release();
  }
}
