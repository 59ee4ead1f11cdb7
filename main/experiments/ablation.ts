/**
 * Ablation against seeded nulls: zero- or mean-ablate a feature set at its SAE's hook by splicing
 * (x' = x_hat(edited latents) + (x - x_hat), BOS positions untouched), measure the metric, and
 * compare the effect (ablated - clean) with the same ablation of random feature sets of the same
 * size and matched density, S seeds of `drawsPerSeed` sets each.
 */
import type { AblateArtifact, AblateSettings, NullSeedDraws } from '../../preload/api';
import { labelNamesInHome } from '../labels/labelLookup';
import { artifactEnvelope } from './artifactEnvelope';
import { savedConditionResolver } from './appDatabase';
import { conditionMasks, loadDocumentSlice } from './documentSlice';
import { PhaseCheckpoints, type ExperimentContext } from './experimentContext';
import { checkFeatureIds, checkSaeOnModel, loadExperimentModel, loadExperimentSae, modelLabel } from './experimentInputs';
import { LatentColumns } from './latentColumns';
import { judgeEffect } from '../stats/verdict';
import { accumulatorMean, accumulatorScale, metricInfo, parseMetric, scoredOrRefuse } from './metric';
import { ablationSubject, measureLabel } from './verdictSubjects';
import { densityDeciles, drawAllNullSets } from './nullDraws';
import { densities, densityInfo, loadFeatureStats, meanActivation } from './featureStats';
import { runSliceVariants, type GroupView, type Variant } from './sliceRunner';

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
  const { spec: condition, masks } = conditionMasks(slice.documents, model.tokenizer, params.condition, savedConditionResolver(ctx.home), slice.info.contextSize);
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
    prepareGroup: (g) => columns.prepare(g.packed(), g.editableRows()),
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
  const result = judgeEffect({
    effect: ablated - clean,
    draws,
    subject: ablationSubject(params.mode, params.features, modelLabel(model), await labelNamesInHome(ctx.home, sae.dir, { hash: true })),
    measure: measureLabel(metric, condition),
    scale: accumulatorScale(run.means.get('clean')!),
    margin: params.margin,
  });
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

