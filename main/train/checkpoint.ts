/**
 * A training run's checkpoint: ONE safetensors file in the run folder holding every SAE's
 * parameters, Adam moments, dead-latent counters and firing counts, with the rest of the state
 * (step, chosen lr, shuffling-buffer cursor, the open logging interval, the BatchTopK threshold)
 * as JSON in its metadata. Written to a temporary file, flushed, then renamed over the previous
 * one: a crash or a full disk mid-write leaves the previous checkpoint whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { readSafetensors, toFloat32, writeSafetensors, type TensorToWrite } from '../formats/safetensors';
import type { LrSweepTrial } from '../../preload/contract/train';
import { PARAM_NAMES, paramShape, type SaeShape, type SaeTensors, type SaeTrainState } from './saeParams';
import type { BufferCursor } from './shufflingBuffer';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

/** Sums over the logging interval still open when the checkpoint was taken, per SAE. */
export interface IntervalSums {
  steps: number;
  mse: number;
  aux: number;
  sse: number;
  totalVar: number;
  l0: number;
  gradNorm: number;
  /** Crosscoders: each model's sse and centred sum of squares (per-model FVE). */
  models?: { sse: number; totalVar: number }[];
}

export function emptyInterval(): IntervalSums {
  return { steps: 0, mse: 0, aux: 0, sse: 0, totalVar: 0, l0: 0, gradNorm: 0 };
}

/** One SAE's part of the run state. */
export interface SaeRunState {
  train: SaeTrainState;
  /** Steps since each latent last fired (sae_lens' n_forward_passes_since_fired). */
  sinceFired: Float64Array;
  /** Tokens each latent fired on during training. */
  fireCount: Float64Array;
  /** BatchTopK: moving average of the smallest kept activation (float64, as sae_lens keeps it). */
  threshold: number;
  interval: IntervalSums;
}

export interface RunCheckpoint {
  version: 1;
  /** Steps completed. */
  step: number;
  /** What the run was started with (hooks, shapes, data, seed...): a resume must match it. */
  fingerprint: string;
  /** The lr training uses (after an lr sweep, the winner). */
  lr: number;
  sweep: LrSweepTrial[] | null;
  /** Per hook, the input scale (normalize_activations) estimated before the first step; absent in older checkpoints (1). */
  inputScales?: number[];
  buffer: BufferCursor | null;
  /** Lines of metrics.jsonl written when this checkpoint was taken. */
  metricsLines: number;
  /** Training wall time so far (throughput figures across restarts). */
  elapsedMs: number;
  saes: SaeRunState[];
  /** Crosscoders: each model's input scale s_m, estimated before training (a resume keeps them). */
  normScales?: number[];
}

export function checkpointPath(runDir: string): string {
  return path.join(runDir, CHECKPOINT_FILE);
}

export function writeCheckpoint(runDir: string, cp: RunCheckpoint): void {
  const tensors: Record<string, TensorToWrite> = {};
  cp.saes.forEach((s, h) => {
    for (const part of ['params', 'm', 'v'] as const) {
      for (const p of PARAM_NAMES) tensors[`sae${h}.${part}.${p}`] = { dtype: 'F32', shape: [s.train[part][p].length], data: s.train[part][p] };
    }
    tensors[`sae${h}.since_fired`] = { dtype: 'F64', shape: [s.sinceFired.length], data: s.sinceFired };
    tensors[`sae${h}.fire_count`] = { dtype: 'F64', shape: [s.fireCount.length], data: s.fireCount };
  });
  const meta = { ...cp, saes: cp.saes.map((s) => ({ threshold: s.threshold, interval: s.interval })) };
  try {
    writeSafetensors(checkpointPath(runDir), tensors, { state: JSON.stringify(meta) });
  } catch (err) {
    const code = ((err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code) as string | undefined;
    const previous = readCheckpointStep(runDir);
    const kept = previous === null ? 'No earlier checkpoint exists.' : `The previous checkpoint (step ${previous}) is intact.`;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new WorkbenchError('DISK_FULL', `The disk is full: the checkpoint at step ${cp.step} could not be written to ${runDir}. ${kept}`, 'Free some space and resume the run: it continues from the last checkpoint.', { cause: err });
    }
    throw new WorkbenchError('CHECKPOINT_WRITE', `The checkpoint at step ${cp.step} could not be written to ${runDir}: ${(err as Error).message} ${kept}`, 'Check that the run folder is writable, then resume the run.', { cause: err });
  }
}

/** The step of the checkpoint on disk, or null (cheap: reads the header only through the full reader). */
export function readCheckpointStep(runDir: string): number | null {
  try {
    const st = readSafetensors(checkpointPath(runDir));
    return (JSON.parse(st.metadata?.state ?? '{}') as { step?: number }).step ?? null;
  } catch {
    return null;
  }
}

export function readCheckpoint(runDir: string, shapes: SaeShape[]): RunCheckpoint | null {
  const file = checkpointPath(runDir);
  if (!fs.existsSync(file)) return null;
  const st = readSafetensors(file);
  const meta = JSON.parse(st.metadata?.state ?? 'null') as (Omit<RunCheckpoint, 'saes'> & { saes: { threshold: number; interval: IntervalSums }[] }) | null;
  if (!meta || meta.version !== 1) throw new WorkbenchError('CHECKPOINT_INVALID', `${file}: is not a training checkpoint of this version.`, 'Start the run again in a new folder.');
  if (meta.saes.length !== shapes.length) {
    throw new WorkbenchError('CHECKPOINT_MISMATCH', `${file}: holds ${meta.saes.length} SAE(s); this run trains ${shapes.length}.`, 'Resume with the same hooks the run was started with.');
  }
  const saes = meta.saes.map((m, h): SaeRunState => {
    const shape = shapes[h];
    const part = (which: 'params' | 'm' | 'v') =>
      Object.fromEntries(
        PARAM_NAMES.map((p) => {
          const t = st.get(`sae${h}.${which}.${p}`);
          const want = paramShape(p, shape).reduce((a, b) => a * b, 1);
          if (t.shape[0] !== want) {
            throw new WorkbenchError('CHECKPOINT_MISMATCH', `${file}: SAE ${h} ${p} has ${t.shape[0]} values; d_in ${shape.dIn} x d_sae ${shape.dSae} needs ${want}.`, 'Resume with the model and d_sae the run was started with.');
          }
          return [p, Float32Array.from(toFloat32(t))];
        }),
      ) as SaeTensors;
    const f64 = (name: string) => Float64Array.from(new Float64Array(st.get(name).bytes().slice().buffer));
    return { train: { params: part('params'), m: part('m'), v: part('v') }, sinceFired: f64(`sae${h}.since_fired`), fireCount: f64(`sae${h}.fire_count`), threshold: m.threshold, interval: m.interval };
  });
  return { ...meta, saes };
}
