/**
 * Runs one SAE's train-step graph with ORT, step after step.
 *
 * Where the state lives: onnxruntime-node has no IO binding and no device-resident outputs
 * (`preferredOutputLocation` is ORT-Web only), so parameters and Adam moments live in two sets of
 * JS-owned buffers that ORT reads and writes in place: step t reads set A and writes set B
 * (preallocated outputs), step t+1 the other way round. On CPU that binding is zero-copy (the
 * bench measures binding all 12 tensors: ~0.2 ms against a step of hundreds), so nothing is
 * copied through JS between steps. A step whose loss is not finite is simply not committed: the
 * inputs of that step are the last good state.
 */
import * as ort from 'onnxruntime-node';
import { WorkbenchError } from '../errors';
import { createSessionWithFallback, type DeviceChoice, type EpReport } from '../engine/executionProviders';
import { PARAM_NAMES, paramShape, type ParamName, type SaeTensors, type SaeTrainState } from './saeParams';
import { buildTrainStepGraph, gradName, MODEL_STAT_NAMES, momentInput, newName, paramInput, STAT_NAMES, TRAIN_INPUTS, type StatName, type TrainStepSpec } from './trainStepGraph';

export const ADAM_EPS = 1e-8;

export type StepSpec = Omit<TrainStepSpec, 'auxK'>;

export interface StepOptions {
  lr: number;
  /** Adam step count, from 1. */
  t: number;
  /** Latents dead before this step (ascending ids); AuxK runs when there are any. */
  dead: readonly number[];
  auxCoefficient: number;
}

export interface StepResult {
  /** False when the loss or the gradient norm was NaN/Inf: the state was left unchanged. */
  finite: boolean;
  stats: Record<StatName, number>;
  /** How many tokens of the batch each latent fired on. */
  fireCounts: Float32Array;
  /** Raw gradients, when the spec asked to expose them (tests). */
  gradients?: SaeTensors;
  /** Crosscoders: per model [sse, total_var] (MODEL_STAT_NAMES), model after model. */
  modelStats?: Float32Array;
}

/** sae_lens' AuxK settings: k_aux = d_in / 2 (at most n_dead), loss scale min(n_dead / (d_in / 2), 1). */
export function auxKSettings(dIn: number, nDead: number): { kAux: number; scale: number } {
  const half = Math.max(1, Math.floor(dIn / 2));
  return { kAux: Math.min(half, nDead), scale: Math.min(nDead / half, 1) };
}

type Slot = { data: Float32Array; tensor: ort.Tensor };

function slot(data: Float32Array, shape: number[]): Slot {
  return { data, tensor: new ort.Tensor('float32', data, shape) };
}

/** Every state tensor's input name, in one order. */
function stateNames(): { name: string; param: ParamName; part: 'params' | 'm' | 'v' }[] {
  return PARAM_NAMES.flatMap((p) => [
    { name: paramInput(p), param: p, part: 'params' as const },
    { name: momentInput('m', p), param: p, part: 'm' as const },
    { name: momentInput('v', p), param: p, part: 'v' as const },
  ]);
}

export class SaeStepRunner {
  private current: Map<string, Slot>;
  private spare: Map<string, Slot>;
  private readonly stats = slot(new Float32Array(STAT_NAMES.length), [STAT_NAMES.length]);
  private readonly fire: Slot;
  private readonly grads: Map<ParamName, Slot> | null;
  private readonly modelStats: Slot | null;
  private auxSession: ort.InferenceSession | null = null;

  private constructor(
    readonly spec: StepSpec,
    private readonly session: ort.InferenceSession,
    readonly report: EpReport,
    private readonly device: DeviceChoice,
    state: SaeTrainState,
  ) {
    const shape = (p: ParamName) => paramShape(p, spec);
    this.current = new Map(stateNames().map((s) => [s.name, slot(Float32Array.from(state[s.part][s.param]), shape(s.param))]));
    this.spare = new Map(stateNames().map((s) => [s.name, slot(new Float32Array(state[s.part][s.param].length), shape(s.param))]));
    this.fire = slot(new Float32Array(spec.dSae), [spec.dSae]);
    this.modelStats = spec.crosscoderModels ? slot(new Float32Array(spec.crosscoderModels * MODEL_STAT_NAMES.length), [spec.crosscoderModels, MODEL_STAT_NAMES.length]) : null;
    this.grads = spec.exposeGradients ? new Map(PARAM_NAMES.map((p) => [p, slot(new Float32Array(shape(p).reduce((a, b) => a * b, 1)), shape(p))])) : null;
  }

  static async create(spec: StepSpec, state: SaeTrainState, device: DeviceChoice): Promise<SaeStepRunner> {
    const { session, report } = await createSessionWithFallback(buildTrainStepGraph({ ...spec, auxK: false }).toModelSource(), device);
    return new SaeStepRunner(spec, session, report, device, state);
  }

  private async sessionFor(aux: boolean): Promise<ort.InferenceSession> {
    if (!aux) return this.session;
    this.auxSession ??= (await createSessionWithFallback(buildTrainStepGraph({ ...this.spec, auxK: true }).toModelSource(), this.device)).session;
    return this.auxSession;
  }

  async step(x: Float32Array, options: StepOptions): Promise<StepResult> {
    const { dIn, batchSize } = this.spec;
    if (x.length !== batchSize * dIn) throw new WorkbenchError('TRAIN_BATCH_SHAPE', `A training batch has ${x.length} values; the step takes ${batchSize} x ${dIn}.`, 'This is a bug in the activation buffer.');
    const bc1 = 1 - this.spec.beta1 ** options.t;
    const bc2 = 1 - this.spec.beta2 ** options.t;
    const feeds: Record<string, ort.Tensor> = {
      [TRAIN_INPUTS.x]: new ort.Tensor('float32', x, [batchSize, dIn]),
      [TRAIN_INPUTS.adamStep]: new ort.Tensor('float32', Float32Array.of((options.lr * Math.sqrt(bc2)) / bc1), []),
      [TRAIN_INPUTS.adamEps]: new ort.Tensor('float32', Float32Array.of(ADAM_EPS * Math.sqrt(bc2)), []),
    };
    for (const [name, s] of this.current) feeds[name] = s.tensor;
    const aux = options.dead.length > 0;
    if (aux) {
      const { kAux, scale } = auxKSettings(dIn, options.dead.length);
      feeds[TRAIN_INPUTS.deadIdx] = new ort.Tensor('int64', BigInt64Array.from(options.dead, (d) => BigInt(d)), [options.dead.length]);
      feeds[TRAIN_INPUTS.kAux] = new ort.Tensor('int64', BigInt64Array.of(BigInt(kAux)), [1]);
      feeds[TRAIN_INPUTS.auxCoef] = new ort.Tensor('float32', Float32Array.of(options.auxCoefficient * scale), []);
    }
    const fetches: Record<string, ort.Tensor> = { stats: this.stats.tensor, fire_counts: this.fire.tensor };
    for (const [name, s] of this.spare) fetches[newName(name)] = s.tensor;
    if (this.grads) for (const [p, s] of this.grads) fetches[gradName(p)] = s.tensor;
    if (this.modelStats) fetches.model_stats = this.modelStats.tensor;
    await (await this.sessionFor(aux)).run(feeds, fetches);
    const stats = Object.fromEntries(STAT_NAMES.map((n, i) => [n, this.stats.data[i]])) as Record<StatName, number>;
    const finite = Number.isFinite(stats.mse) && Number.isFinite(stats.aux) && Number.isFinite(stats.grad_norm);
    if (finite) [this.current, this.spare] = [this.spare, this.current];
    const gradients = this.grads ? (Object.fromEntries([...this.grads].map(([p, s]) => [p, Float32Array.from(s.data)])) as SaeTensors) : undefined;
    return { finite, stats, fireCounts: this.fire.data, gradients, ...(this.modelStats ? { modelStats: this.modelStats.data } : {}) };
  }

  /** The committed state (views of the live buffers: copy before the next step if kept). */
  state(): SaeTrainState {
    const part = (which: 'params' | 'm' | 'v') =>
      Object.fromEntries(PARAM_NAMES.map((p) => [p, this.current.get(which === 'params' ? paramInput(p) : momentInput(which, p))!.data])) as SaeTensors;
    return { params: part('params'), m: part('m'), v: part('v') };
  }

  async release(): Promise<void> {
    await this.session.release();
    await this.auxSession?.release();
  }
}
