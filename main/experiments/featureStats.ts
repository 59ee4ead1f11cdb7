/**
 * Per-feature statistics of an SAE on a dataset (tokens seen, fire count, max, sum), from which
 * null draws take densities, steering its default strength and mean-ablation its values.
 *
 * They come from a FeatureStatsSource: the SAE's feature index on that dataset when one exists
 * (the index issue's lookup), else one pass of the SAE's model over the measured documents. BOS
 * positions are excluded, as the index excludes them.
 */
import fs from 'node:fs';
import { isUncountedPosition } from '../datasets/tokenWindows';
import path from 'node:path';
import { crosscoderAsSae, pairRows } from '../engine/crosscoderSae';
import { WorkbenchError } from '../errors';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { runModel, runSae } from '../engine/runner';
import type { DeviceChoice } from '../engine/executionProviders';
import type { SaeWeights } from '../formats/sae';
import type { DensityInfo } from '../../preload/api';
import { openAppDatabase } from './appDatabase';
import type { DocumentSlice } from './documentSlice';
import type { ExperimentContext, PhaseCheckpoints } from './experimentContext';
import type { DensityDeciles } from './nullDraws';
import { loadExperimentModel, type ExperimentModel, type ExperimentSae } from './experimentInputs';

export interface FeatureStats {
  /** Non-BOS tokens seen. */
  tokens: number;
  fireCount: Float64Array;
  max: Float64Array;
  /** Sum of activations over the tokens seen (mean over all tokens = sum / tokens). */
  sum: Float64Array;
}

export interface FeatureStatsSource {
  source: 'index' | 'pass';
  indexId: string | null;
  load(progress: (fraction: number) => void, throwIfStopped: () => void): Promise<FeatureStats>;
}

export function densities(stats: FeatureStats): Float64Array {
  return stats.fireCount.map((c) => (stats.tokens === 0 ? 0 : c / stats.tokens));
}

/** Mean activation over every token seen, zeros included (the value mean-ablation sets). */
export function meanActivation(stats: FeatureStats, feature: number): number {
  return stats.tokens === 0 ? 0 : stats.sum[feature] / stats.tokens;
}

/** Windows per model call of the density pass (hook activations only: small). */
const PASS_GROUP = 64;

export function emptyStats(dSae: number): FeatureStats {
  return { tokens: 0, fireCount: new Float64Array(dSae), max: new Float64Array(dSae), sum: new Float64Array(dSae) };
}

/** Add the activations of rows x [n, d_in] to `stats` (refusing NaN/Inf in x or the latents: densities from them would steer the nulls). */
export async function accumulateFeatureStats(sae: SaeWeights, x: Float32Array, stats: FeatureStats, device: DeviceChoice): Promise<void> {
  const { dIn, dSae } = sae.config;
  const n = x.length / dIn;
  if (n === 0) return;
  const where = `the feature-density pass of the SAE at ${sae.config.hookName}`;
  requireFiniteOutputs({ [sae.config.hookName]: { data: x, shape: [n, dIn] } }, where);
  stats.tokens += n;
  const add = (f: number, v: number) => {
    if (!(v > 0)) return;
    stats.fireCount[f]++;
    stats.sum[f] += v;
    if (v > stats.max[f]) stats.max[f] = v;
  };
  if (sae.config.architecture === 'topk') {
    const run = await runSae(sae, { data: x, shape: [n, dIn] }, ['feature_indices', 'feature_values'], { device });
    const idx = run.outputs.feature_indices!.data as BigInt64Array;
    requireFiniteOutputs({ feature_values: run.outputs.feature_values }, where);
    const vals = run.outputs.feature_values!.data as Float32Array;
    for (let t = 0; t < vals.length; t++) add(Number(idx[t]), vals[t]);
    return;
  }
  const chunk = Math.max(1, Math.floor((32 * 1024 * 1024) / dSae));
  for (let r0 = 0; r0 < n; r0 += chunk) {
    const rows = Math.min(chunk, n - r0);
    const run = await runSae(sae, { data: x.subarray(r0 * dIn, (r0 + rows) * dIn), shape: [rows, dIn] }, ['feature_acts'], { device });
    requireFiniteOutputs({ feature_acts: run.outputs.feature_acts }, where);
    const dense = run.outputs.feature_acts!.data as Float32Array;
    for (let i = 0; i < dense.length; i++) if (dense[i] > 0) add(i % dSae, dense[i]);
  }
}

/** Rows of window activations at the positions that count (tokenWindows: not BOS, not a continuation window's first token), packed [n, d]. */
export function countedRows(slice: DocumentSlice, windowIndices: number[], acts: { data: Float32Array; shape: number[] }[]): Float32Array {
  const d = acts[0]?.shape[1] ?? 0;
  const parts: Float32Array[] = [];
  windowIndices.forEach((wi, i) => {
    const w = slice.windows[wi];
    const skip = isUncountedPosition(slice.documents[w.doc].bos, 0) ? 1 : 0;
    parts.push(acts[i].data.subarray(skip * d));
  });
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * A crosscoder's latents over the measured documents: both models on the same windows (the slice
 * is tokenized once; they share a tokenizer), encoded as the pair. The other model is the folder
 * the crosscoder's cfg.json records for it.
 */
function crosscoderPass(model: ExperimentModel, sae: ExperimentSae & { crosscoder: NonNullable<ExperimentSae['crosscoder']> }, slice: DocumentSlice, device: DeviceChoice): FeatureStatsSource {
  const cc = sae.crosscoder.weights;
  const otherSide = 1 - sae.crosscoder.side;
  const otherDir = cc.config.raw[otherSide === 0 ? 'model_a_path' : 'model_b_path'];
  if (typeof otherDir !== 'string' || !fs.existsSync(path.join(otherDir, 'config.json'))) {
    throw new WorkbenchError('CROSSCODER_MODELS_UNKNOWN', `The densities of ${sae.dir}'s latents need model ${otherSide === 0 ? 'A' : 'B'} (${otherSide === 0 ? cc.config.modelA : cc.config.modelB}) too, and cfg.json names no folder of it that exists.`, 'Build the crosscoder\'s index on this dataset (its densities are then read from it), or restore the model\'s folder.');
  }
  const other = loadExperimentModel(otherDir);
  const [modelA, modelB] = sae.crosscoder.side === 0 ? [model, other] : [other, model];
  const paired = crosscoderAsSae(cc);
  return {
    source: 'pass',
    indexId: null,
    async load(progress, throwIfStopped) {
      const stats = emptyStats(cc.config.dSae);
      for (let g = 0; g < slice.windows.length; g += PASS_GROUP) {
        throwIfStopped();
        const group = Array.from({ length: Math.min(PASS_GROUP, slice.windows.length - g) }, (_, i) => g + i);
        const tokens = group.map((i) => slice.windows[i].tokens);
        const runA = await runModel(modelA.weights, tokens, [cc.config.hookNameA], { device });
        const runB = await runModel(modelB.weights, tokens, [cc.config.hookNameB], { device });
        const xA = countedRows(slice, group, runA.hooks[cc.config.hookNameA]);
        const xB = countedRows(slice, group, runB.hooks[cc.config.hookNameB]);
        await accumulateFeatureStats(paired, pairRows(xA, xB, cc.config.dIn), stats, device);
        progress(Math.min(1, (g + group.length) / slice.windows.length));
      }
      return stats;
    },
  };
}

/** One pass of the SAE's model over the measured documents. */
export function passFeatureStats(model: ExperimentModel, sae: ExperimentSae, slice: DocumentSlice, device: DeviceChoice): FeatureStatsSource {
  if (sae.crosscoder) return crosscoderPass(model, sae as ExperimentSae & { crosscoder: NonNullable<ExperimentSae['crosscoder']> }, slice, device);
  return {
    source: 'pass',
    indexId: null,
    async load(progress, throwIfStopped) {
      const hook = sae.weights.config.hookName;
      const stats = emptyStats(sae.weights.config.dSae);
      for (let g = 0; g < slice.windows.length; g += PASS_GROUP) {
        throwIfStopped();
        const group = Array.from({ length: Math.min(PASS_GROUP, slice.windows.length - g) }, (_, i) => g + i);
        const run = await runModel(model.weights, group.map((i) => slice.windows[i].tokens), [hook], { device });
        await accumulateFeatureStats(sae.weights, countedRows(slice, group, run.hooks[hook]), stats, device);
        progress(Math.min(1, (g + group.length) / slice.windows.length));
      }
      return stats;
    },
  };
}

/**
 * The newest ready, not stale feature index of this SAE, built on its own model over the same
 * dataset: its statistics cover the whole indexed corpus. Null when there is none (or the data
 * directory has no index registry yet).
 */
export async function indexFeatureStats(home: string, model: ExperimentModel, sae: ExperimentSae, dataset: string): Promise<FeatureStatsSource | null> {
  const { IndexCatalog, staleness } = await import('../index/indexCatalog');
  const db = openAppDatabase(home);
  if (!db) return null;
  try {
    const catalog = new IndexCatalog(home, db);
    let record;
    try {
      // A crosscoder's index runs both models (its modelPath is model B): its latents are the same whichever decoder steers.
      record = catalog.registry.list().find((r) => r.state === 'ready' && r.saePath === sae.dir && (sae.crosscoder || r.modelPath === model.dir) && r.datasetPath === path.resolve(dataset));
    } catch {
      return null;
    }
    if (!record || (await staleness(record)) !== null) return null;
    const listing = catalog.reader(record.id).listing();
    const stats: FeatureStats = {
      tokens: listing.tokens,
      fireCount: Float64Array.from(listing.fireCount),
      max: Float64Array.from(listing.max),
      sum: Float64Array.from(listing.mean, (m, f) => m * listing.fireCount[f]),
    };
    return { source: 'index', indexId: record.id, load: async () => stats };
  } finally {
    db.close();
  }
}

/**
 * Where the statistics come from: the SAE's feature index on this dataset when a ready, current
 * one exists, else one pass over the measured documents.
 */
export async function featureStatsSource(home: string | null | undefined, model: ExperimentModel, sae: ExperimentSae, slice: DocumentSlice, device: DeviceChoice): Promise<FeatureStatsSource> {
  return (home ? await indexFeatureStats(home, model, sae, slice.info.dataset) : null) ?? passFeatureStats(model, sae, slice, device);
}

export interface LoadedFeatureStats {
  stats: FeatureStats;
  source: 'index' | 'pass';
  indexId: string | null;
}

/**
 * The feature statistics of an experiment, once: from its checkpoint when a resumed run already
 * has them, else from their source (saved as a finished phase).
 */
export async function loadFeatureStats(o: {
  model: ExperimentModel;
  sae: ExperimentSae;
  slice: DocumentSlice;
  device: DeviceChoice;
  ctx: ExperimentContext;
  checkpoints: PhaseCheckpoints;
  phase: string;
  progressRange: [number, number];
}): Promise<LoadedFeatureStats> {
  const saved = o.checkpoints.done<{ source: 'index' | 'pass'; indexId: string | null; tokens: number; fireCount: number[]; max: number[]; sum: number[] }>(o.phase);
  if (saved) {
    return { source: saved.source, indexId: saved.indexId, stats: { tokens: saved.tokens, fireCount: Float64Array.from(saved.fireCount), max: Float64Array.from(saved.max), sum: Float64Array.from(saved.sum) } };
  }
  const source = await featureStatsSource(o.ctx.home, o.model, o.sae, o.slice, o.device);
  const [from, to] = o.progressRange;
  const what = source.source === 'index' ? `feature densities from index ${source.indexId}` : 'feature densities (one pass over the documents)';
  o.ctx.progress(from, what);
  const stats = await source.load((p) => o.ctx.progress(from + (to - from) * p, what), () => o.ctx.throwIfStopped());
  await o.checkpoints.complete(o.phase, { source: source.source, indexId: source.indexId, tokens: stats.tokens, fireCount: Array.from(stats.fireCount), max: Array.from(stats.max), sum: Array.from(stats.sum) });
  return { stats, source: source.source, indexId: source.indexId };
}

/** What an artifact records about the densities behind its nulls. */
export function densityInfo(loaded: LoadedFeatureStats, features: readonly number[], deciles: DensityDeciles): DensityInfo {
  const dens = densities(loaded.stats);
  return {
    source: loaded.source,
    indexId: loaded.indexId,
    tokens: loaded.stats.tokens,
    featureDeciles: features.map((f) => ({ feature: f, density: dens[f], decile: deciles.decileOf[f] })),
    decileEdges: deciles.edges,
  };
}
