/**
 * Runs a model over the measured documents in groups of windows, once up to the hook (an edit
 * session) and then once per variant from the hook on, accumulating the metric per variant: the
 * clean run, the real intervention and every null draw share each group's prefix. Checkpoints
 * after groups carry the sums, so a resumed run adds the remaining groups to the same totals.
 * Every activation at the hook and every output a metric reads is checked for NaN/Inf here, the
 * one place ablation, steering and swaps get model outputs: an overflowing model stops the
 * experiment with NONFINITE_OUTPUT instead of giving a verdict computed from NaN.
 */
import { isUncountedPosition } from '../datasets/tokenWindows';
import type { DeviceChoice } from '../engine/executionProviders';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { prepareEdit, type EditRunOptions, type EditSession } from '../engine/intervention';
import type { ModelRun } from '../engine/runner';
import type { Tensor32 } from '../formats/tensor';
import type { TransformerWeights } from '../formats/transformer';
import type { DocumentSlice } from './documentSlice';
import type { PhaseCheckpoints, ExperimentContext } from './experimentContext';
import { accumulateMetric, metricRunOptions, type MeanAccumulator, type Metric } from './metric';

/** One group of windows at the hook, as variants see it. */
export class GroupView {
  private packedCache: Tensor32 | null = null;

  constructor(
    readonly slice: DocumentSlice,
    /** Indices into slice.windows. */
    readonly windows: number[],
    readonly session: EditSession,
  ) {}

  get activations(): Tensor32[] {
    return this.session.activations;
  }

  get rows(): number {
    return this.activations.reduce((a, t) => a + t.shape[0], 0);
  }

  /** The group's activations as one [rows, d] tensor (windows in order). */
  packed(): Tensor32 {
    if (this.packedCache) return this.packedCache;
    const d = this.activations[0].shape[1];
    const data = new Float32Array(this.rows * d);
    let off = 0;
    for (const t of this.activations) {
      data.set(t.data, off);
      off += t.data.length;
    }
    return (this.packedCache = { data, shape: [this.rows, d] });
  }

  /** A packed [rows, d] tensor cut back into per-window tensors. */
  unpack(x: Tensor32): Tensor32[] {
    const d = x.shape[1];
    let row = 0;
    return this.activations.map((t) => {
      const part = { data: x.data.slice(row * d, (row + t.shape[0]) * d), shape: t.shape };
      row += t.shape[0];
      return part;
    });
  }

  /** Per packed row: 1 where the row may be edited: the positions that count (tokenWindows: never a BOS, nor a continuation window's first token). */
  editableRows(): Uint8Array {
    const out = new Uint8Array(this.rows).fill(1);
    let row = 0;
    for (const wi of this.windows) {
      const w = this.slice.windows[wi];
      if (isUncountedPosition(this.slice.documents[w.doc].bos, 0)) out[row] = 0;
      row += w.tokens.length;
    }
    return out;
  }

  /** Per packed row, 1 where `masks` (per document) holds at that row's document position. */
  rowMask(masks: Uint8Array[]): Uint8Array {
    const out = new Uint8Array(this.rows);
    let row = 0;
    for (const wi of this.windows) {
      const w = this.slice.windows[wi];
      for (let p = 0; p < w.tokens.length; p++) out[row++] = masks[w.doc][w.start + p];
    }
    return out;
  }
}

/** Engine options of one variant's run: the metric's outputs, the windows' targets, the device. */
export type VariantRunOptions = EditRunOptions & { targets: number[][] };

/**
 * One way of running a group: usually edited activations at the hook continued by the model;
 * or a run of its own (another model's continuation, for layer swaps).
 */
export type Variant =
  | { id: string; edit(group: GroupView): Tensor32[] | Promise<Tensor32[]> }
  | { id: string; run(group: GroupView, opts: VariantRunOptions): Promise<ModelRun> };

export interface SliceRunOptions {
  model: TransformerWeights;
  hook: string;
  slice: DocumentSlice;
  metric: Metric;
  /** Per window, the positions scored (see metric.scoredPositions). */
  scored: Int32Array[];
  variants: Variant[];
  device: DeviceChoice;
  /** Called once per group before the variants (e.g. encode the SAE latents they need). */
  prepareGroup?(group: GroupView): Promise<void>;
  ctx: ExperimentContext;
  checkpoints: PhaseCheckpoints;
  phase: string;
  /** Progress is reported in [from, to] of the whole experiment. */
  progressRange: [number, number];
  label: string;
}

/** Windows per group: bounded so a group's logits stay near 128 MB. */
export function groupSize(nCtx: number, dVocab: number, logits: boolean): number {
  if (!logits) return 64;
  return Math.max(1, Math.min(64, Math.floor((128 * 1024 * 1024) / (nCtx * dVocab * 4))));
}

/** "documents 3-17 of data.jsonl": what a group covers, for messages. */
function documentsOf(slice: DocumentSlice, windows: number[]): string {
  const docs = windows.map((i) => slice.documents[slice.windows[i].doc].document);
  const [lo, hi] = [Math.min(...docs), Math.max(...docs)];
  return `${lo === hi ? `document ${lo}` : `documents ${lo}-${hi}`} of ${slice.info.dataset}`;
}

interface RunState {
  nextGroup: number;
  /** Per variant: sum, count and (since verdicts have a resolution) sum of |value|. */
  sums: Record<string, [number, number, number?]>;
  executionProvider: string;
}

/** A variant's sums as a checkpoint left them (none: a fresh start; no |value| sum: NaN, see accumulatorScale). */
function resumedAccumulator(saved: RunState['sums'][string] | undefined): MeanAccumulator {
  if (!saved) return { sum: 0, count: 0, absSum: 0 };
  return { sum: saved[0], count: saved[1], absSum: saved[2] ?? NaN };
}

export async function runSliceVariants(o: SliceRunOptions): Promise<{ means: Map<string, MeanAccumulator>; executionProvider: string }> {
  const opts = metricRunOptions(o.metric);
  const size = groupSize(o.slice.info.contextSize, o.model.config.dVocab, opts.logits);
  const groups = Math.ceil(o.slice.windows.length / size);
  const resumed = o.checkpoints.partial<RunState>(o.phase);
  const acc = new Map<string, MeanAccumulator>(o.variants.map((v) => [v.id, resumedAccumulator(resumed?.sums[v.id])]));
  let executionProvider = resumed?.executionProvider ?? 'cpu';
  const [from, to] = o.progressRange;
  for (let g = resumed?.nextGroup ?? 0; g < groups; g++) {
    o.ctx.throwIfStopped();
    const windows = Array.from({ length: Math.min(size, o.slice.windows.length - g * size) }, (_, i) => g * size + i);
    const tokens = windows.map((i) => o.slice.windows[i].tokens);
    const targets = windows.map((i) => o.slice.windows[i].targets);
    const scored = windows.map((i) => o.scored[i]);
    const session = await prepareEdit(o.model, tokens, o.hook, { device: o.device });
    const where = `${o.label}, ${documentsOf(o.slice, windows)}`;
    requireFiniteOutputs(Object.fromEntries(session.activations.map((t, i) => [`${o.hook} (window ${i})`, t])), where);
    const view = new GroupView(o.slice, windows, session);
    await o.prepareGroup?.(view);
    for (const v of o.variants) {
      o.ctx.throwIfStopped();
      const runOpts: VariantRunOptions = { ...opts, targets, device: o.device };
      const run = 'run' in v ? await v.run(view, runOpts) : await session.run(await v.edit(view), [], runOpts);
      executionProvider = run.report.running;
      const [name, outputs] = opts.logits ? ['logits', run.logits] : ['loss', run.loss];
      requireFiniteOutputs(Object.fromEntries((outputs ?? []).map((t, i) => [`${name} (window ${i})`, t])), `${where}, run "${v.id}"`);
      accumulateMetric(o.metric, run, scored, acc.get(v.id)!);
    }
    const done = g + 1;
    o.ctx.progress(from + ((to - from) * done) / groups, `${o.label}: ${done}/${groups} groups of documents × ${o.variants.length} runs`);
    await o.checkpoints.progress(o.phase, { nextGroup: done, sums: Object.fromEntries([...acc].map(([k, a]) => [k, [a.sum, a.count, a.absSum]])), executionProvider } satisfies RunState);
  }
  return { means: acc, executionProvider };
}
