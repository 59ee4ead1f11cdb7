/**
 * Ablation against seeded nulls: zero- or mean-ablate a feature set at its SAE's hook by splicing
 * (x' = x_hat(edited latents) + (x - x_hat), BOS positions untouched), measure the metric, and
 * compare the effect (ablated - clean) with the same ablation of random feature sets of the same
 * size and matched density, S seeds of `drawsPerSeed` sets each.
 */
import type { AblateArtifact, AblateSettings, NullSeedDraws } from '../../preload/api';
import { encodeFeatureColumns, spliceLatents } from '../engine/saeLatentEdit';
import { WorkbenchError } from '../errors';
import type { Tensor32 } from '../formats/tensor';
import { artifactEnvelope } from './artifactEnvelope';
import { savedConditionResolver } from './appDatabase';
import { conditionMasks, loadDocumentSlice, type DocumentSlice } from './documentSlice';
import { PhaseCheckpoints, type ExperimentContext } from './experimentContext';
import { checkFeatureIds, checkSaeOnModel, loadExperimentModel, loadExperimentSae, type ExperimentSae } from './experimentInputs';
import { accumulatorMean, metricInfo, parseMetric, scoredPositions, type Metric } from './metric';
import { compareEffect } from './nullComparison';
import { densityDeciles, drawAllNullSets } from './nullDraws';
import { densities, densityInfo, loadFeatureStats, meanActivation } from './featureStats';
import { runSliceVariants, type GroupView, type Variant } from './sliceRunner';

export function describeFeatures(features: readonly number[]): string {
  const shown = features.slice(0, 6).join(', ');
  return `${features.length === 1 ? 'feature' : 'features'} ${shown}${features.length > 6 ? `, … (${features.length})` : ''}`;
}

export function measureLabel(metric: Metric, condition: string | null): string {
  return `the ${metric.label}${condition ? ` at ${condition}` : ''}`;
}

/** Scored positions of a metric on a slice, refusing a condition that matches nothing. */
export function scoredOrRefuse(metric: Metric, slice: DocumentSlice, masks: Uint8Array[], condition: string | null) {
  const scored = scoredPositions(metric, slice.windows, masks);
  const positions = scored.reduce((a, s) => a + s.length, 0);
  if (positions === 0) {
    throw new WorkbenchError(
      'EXPERIMENT_NO_POSITIONS',
      `No position of the ${slice.info.documents} measured documents of ${slice.info.dataset} is scored${condition ? ` (the condition ${condition} matches none)` : ''}.`,
      condition ? 'Check the condition in the Compare page\'s preview, or measure more documents.' : 'Measure more (or longer) documents.',
    );
  }
  return { scored, positions };
}

/** Per packed row: 1 where the row may be edited (not a document's BOS). */
export function editableRows(group: GroupView): Uint8Array {
  const out = new Uint8Array(group.rows).fill(1);
  let row = 0;
  for (const wi of group.windows) {
    const w = group.slice.windows[wi];
    if (w.start === 0 && group.slice.documents[w.doc].bos) out[row] = 0;
    row += w.tokens.length;
  }
  return out;
}

/**
 * The latents of a union of features for packed rows [n, d] (encoded once per group), and edits
 * that move a subset of them to new values on editable rows (never a document's BOS).
 */
export class LatentColumns {
  private cols: Float32Array = new Float32Array(0);
  private editable: Uint8Array = new Uint8Array(0);
  private readonly position = new Map<number, number>();

  constructor(private readonly sae: ExperimentSae, readonly features: readonly number[], private readonly device: AblateSettings['device']) {
    features.forEach((f, j) => this.position.set(f, j));
  }

  async prepare(x: Tensor32, editable: Uint8Array): Promise<void> {
    this.cols = await encodeFeatureColumns(this.sae.weights, x, this.features, { device: this.device });
    this.editable = editable;
  }

  /** x' with the latents of `set` moved to `value(row, i, current)` on editable rows. */
  edit(x: Tensor32, set: readonly number[], value: (row: number, i: number, current: number) => number): Tensor32 {
    const rows = this.editable.length;
    const m = set.length;
    const all = this.features.length;
    const js = set.map((f) => this.position.get(f)!);
    const current = new Float32Array(rows * m);
    for (let r = 0; r < rows; r++) for (let i = 0; i < m; i++) current[r * m + i] = this.cols[r * all + js[i]];
    const target = new Float32Array(current);
    for (let r = 0; r < rows; r++) if (this.editable[r]) for (let i = 0; i < m; i++) target[r * m + i] = value(r, i, current[r * m + i]);
    return spliceLatents(this.sae.weights, x, set, current, target);
  }
}

export async function runAblation(params: AblateSettings, ctx: ExperimentContext): Promise<AblateArtifact> {
  const started = Date.now();
  const checkpoints = new PhaseCheckpoints(ctx);
  const model = loadExperimentModel(params.model);
  const sae = loadExperimentSae(params.sae);
  checkSaeOnModel(sae, model);
  checkFeatureIds(sae, params.features);
  const hook = sae.weights.config.hookName;
  ctx.progress(0, 'reading documents');
  const slice = await loadDocumentSlice(model.tokenizer, {
    dataset: params.dataset,
    textColumn: params.textColumn,
    maxDocuments: params.maxDocuments,
    contextSize: params.contextSize,
    saeContextSize: sae.weights.config.contextSize,
    nCtx: model.weights.config.nCtx,
    prependBos: sae.weights.config.prependBos ?? model.weights.config.prependBos,
  });
  const metric = parseMetric(params.metric, model.tokenizer, model.weights.config.dVocab);
  const { spec: condition, masks } = conditionMasks(slice.documents, model.tokenizer, params.condition, savedConditionResolver(ctx.home));
  const { scored, positions } = scoredOrRefuse(metric, slice, masks, condition);

  const stats = await loadFeatureStats({ model, sae, slice, device: params.device, ctx, checkpoints, phase: 'stats', progressRange: [0, 0.15] });
  const deciles = densityDeciles(densities(stats.stats));
  const drawn = drawAllNullSets(params.features, deciles, params.seeds, params.drawsPerSeed, params.nullSeed);
  const needed = [...new Set([...params.features, ...drawn.flatMap((d) => d.features.flat())])].sort((a, b) => a - b);
  const valueOf = (f: number) => (params.mode === 'mean' ? meanActivation(stats.stats, f) : 0);
  const columns = new LatentColumns(sae, needed, params.device);
  const ablate = (set: readonly number[]) => {
    const values = set.map(valueOf);
    return (group: GroupView) => group.unpack(columns.edit(group.packed(), set, (_r, i) => values[i]));
  };
  const variants: Variant[] = [
    { id: 'clean', edit: (g) => g.activations },
    { id: 'real', edit: ablate(params.features) },
    ...drawn.flatMap((d) => d.features.map((set, k) => ({ id: `null:${d.seed}:${k}`, edit: ablate(set) }))),
  ];
  const run = await runSliceVariants({
    model: model.weights,
    hook,
    slice,
    metric,
    scored,
    variants,
    device: params.device,
    prepareGroup: (g) => columns.prepare(g.packed(), editableRows(g)),
    ctx,
    checkpoints,
    phase: 'runs',
    progressRange: [0.15, 1],
    label: 'ablating',
  });
  const mean = (id: string) => accumulatorMean(run.means.get(id)!);
  const clean = mean('clean');
  const ablated = mean('real');
  const draws: NullSeedDraws[] = drawn.map((d) => ({ ...d, effects: d.features.map((_, k) => mean(`null:${d.seed}:${k}`) - clean) }));
  const subject = `${params.mode === 'zero' ? 'Zero' : 'Mean'}-ablating ${describeFeatures(params.features)}`;
  const result = compareEffect(ablated - clean, draws, subject, measureLabel(metric, condition));
  ctx.progress(1, 'done');
  return {
    ...(await artifactEnvelope('ablate', { started, executionProvider: run.executionProvider, params, slice, inputs: [{ role: 'model', root: model.dir }, { role: 'sae', root: sae.dir }] })),
    hook,
    metric: metricInfo(metric, condition, positions),
    densities: densityInfo(stats, params.features, deciles),
    meanValues: params.mode === 'mean' ? params.features.map(valueOf) : null,
    clean,
    ablated,
    result,
  };
}

