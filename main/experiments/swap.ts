/**
 * Swaps: does a layer's representation carry the behaviour? Model A runs to a hook, then
 *  - layers:  A's activations continue through model B's later layers;
 *  - latents: B's SAE latents of B's activations replace those of A's activations (encoded by the
 *             same SAE, so both live in one basis) for a feature set, by splice: the rest of A's
 *             activation, its SAE error included, stays; A's later layers continue.
 * The metric is compared with both unswapped models. With a proper subset of latents the effect
 * (swapped - A) gets a null: the same swap of random latent sets of the same size and matched
 * density, S seeds.
 */
import type { NullSeedDraws, SwapArtifact, SwapSettings } from '../../preload/api';
import { parseStartHook } from '../engine/hooks';
import { prepareEdit, type EditSession } from '../engine/intervention';
import { encodeFeatureColumns, spliceLatents } from '../engine/saeLatentEdit';
import { runFromHook } from '../engine/runner';
import { WorkbenchError } from '../errors';
import { labelNamesInHome } from '../labels/labelLookup';
import { artifactEnvelope } from './artifactEnvelope';
import { savedConditionResolver } from './appDatabase';
import { conditionMasks, loadDocumentSlice } from './documentSlice';
import { PhaseCheckpoints, type ExperimentContext } from './experimentContext';
import { checkFeatureIds, checkHook, checkSaeOnModel, checkSameVocabulary, loadExperimentModel, loadExperimentSae, modelLabel } from './experimentInputs';
import { densities, densityInfo, loadFeatureStats } from './featureStats';
import { formatStat as fmt } from '../../preload/api';
import { judgeEffect } from '../stats/verdict';
import { accumulatorMean, accumulatorScale, metricInfo, parseMetric, scoredOrRefuse } from './metric';
import { measureLabel, swapSubject } from './verdictSubjects';
import { densityDeciles, drawAllNullSets } from './nullDraws';
import { GroupView, runSliceVariants, type Variant } from './sliceRunner';

/** What a share of the A-to-B difference means for each kind of swap. */
function gapReading(mode: SwapSettings['mode'], fraction: number, hook: string): string {
  if (mode === 'layers') {
    if (fraction >= 0.9) return `: the difference arises after ${hook}`;
    if (fraction <= 0.1) return `: the difference is already in the representation at ${hook}`;
    return `: the difference arises partly before and partly after ${hook}`;
  }
  if (fraction >= 0.9) return ': the swapped latents carry the difference';
  if (fraction <= 0.1) return ': the swapped latents do not carry it';
  return ': the swapped latents carry part of it';
}

export async function runSwap(params: SwapSettings, ctx: ExperimentContext): Promise<SwapArtifact> {
  const started = Date.now();
  const checkpoints = new PhaseCheckpoints(ctx);
  const A = loadExperimentModel(params.modelA);
  const B = loadExperimentModel(params.modelB);
  checkSameVocabulary(A, B);
  if (A.weights.config.dModel !== B.weights.config.dModel) {
    throw new WorkbenchError('EXPERIMENT_SWAP_SHAPE', `${A.dir} (d_model ${A.weights.config.dModel}) and ${B.dir} (d_model ${B.weights.config.dModel}) have different widths.`, 'Swap between models of the same shape (a model and its fine-tune).');
  }
  const sae = params.sae ? loadExperimentSae(params.sae) : null;
  if (sae) checkSaeOnModel(sae, B, "B's SAE");
  const hook = params.hook ?? sae?.weights.config.hookName;
  if (!hook) throw new WorkbenchError('BAD_ARGUMENT', 'A swap needs a hook (or an SAE whose hook it uses).', 'Give --hook blocks.L.hook_resid_post, or --sae.');
  checkHook(A, hook);
  checkHook(B, hook);
  let features: number[] = [];
  if (params.mode === 'layers') {
    try {
      parseStartHook(hook, A.weights.config.nLayers);
    } catch (err) {
      throw new WorkbenchError('EXPERIMENT_SWAP_HOOK', `A layer swap continues B from "${hook}", which is not a residual-stream hook (${(err as Error).message}).`, 'Swap at blocks.L.hook_resid_pre, _mid or _post.');
    }
  } else {
    if (!sae) throw new WorkbenchError('BAD_ARGUMENT', 'A latent swap needs B\'s SAE.', 'Give --sae <dir> (an SAE of model B).');
    if (hook !== sae.weights.config.hookName) throw new WorkbenchError('BAD_ARGUMENT', `The SAE reads "${sae.weights.config.hookName}", not "${hook}".`, 'Leave the hook out: a latent swap happens at the SAE\'s hook.');
    features = params.features ?? Array.from({ length: sae.weights.config.dSae }, (_, i) => i);
    checkFeatureIds(sae, features);
  }
  ctx.progress(0, 'reading documents');
  const slice = await loadDocumentSlice(A.tokenizer, {
    dataset: params.dataset,
    textColumn: params.textColumn,
    maxDocuments: params.maxDocuments,
    contextSize: params.contextSize,
    saeContextSize: sae?.weights.config.contextSize ?? null,
    nCtx: Math.min(A.weights.config.nCtx, B.weights.config.nCtx),
    prependBos: sae?.weights.config.prependBos ?? A.weights.config.prependBos,
  });
  const metric = parseMetric(params.metric, A.tokenizer, A.weights.config.dVocab);
  const { spec: condition, masks } = conditionMasks(slice.documents, A.tokenizer, params.condition, savedConditionResolver(ctx.home), slice.info.contextSize);
  const { scored, positions } = scoredOrRefuse(metric, slice, masks, condition);

  // A null needs random sets of the same size: only a proper subset of at most half the latents has them.
  const withNull = params.mode === 'latents' && sae !== null && features.length * 2 <= sae.weights.config.dSae;
  const stats = withNull ? await loadFeatureStats({ model: B, sae: sae!, slice, device: params.device, ctx, checkpoints, phase: 'stats', progressRange: [0, 0.15] }) : null;
  const deciles = stats ? densityDeciles(densities(stats.stats)) : null;
  const drawn = deciles ? drawAllNullSets(features, deciles, params.seeds, params.drawsPerSeed, params.nullSeed) : [];

  // Per group: B's session (its clean run and, for latents, its activations at the hook).
  let sessionB: EditSession | null = null;
  let latentsA: Float32Array = new Float32Array(0);
  let latentsB: Float32Array = new Float32Array(0);
  let editable: Uint8Array = new Uint8Array(0);
  const needed = [...new Set([...features, ...drawn.flatMap((d) => d.features.flat())])].sort((a, b) => a - b);
  const column = new Map(needed.map((f, j) => [f, j]));
  const swapLatents = (set: readonly number[]) => (group: GroupView) => {
    const rows = group.rows;
    const m = set.length;
    const all = needed.length;
    const current = new Float32Array(rows * m);
    const target = new Float32Array(rows * m);
    const js = set.map((f) => column.get(f)!);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < m; i++) {
        current[r * m + i] = latentsA[r * all + js[i]];
        target[r * m + i] = editable[r] ? latentsB[r * all + js[i]] : current[r * m + i];
      }
    }
    return group.unpack(spliceLatents(sae!.weights, group.packed(), set, current, target));
  };
  const variants: Variant[] = [
    { id: 'a', edit: (g) => g.activations },
    { id: 'b', run: (_g, opts) => sessionB!.run(sessionB!.activations, [], opts) },
    params.mode === 'layers'
      ? { id: 'swapped', run: (g, opts) => runFromHook(B.weights, hook, g.activations, [], opts) }
      : { id: 'swapped', edit: swapLatents(features) },
    ...drawn.flatMap((d) => d.features.map((set, k) => ({ id: `null:${d.seed}:${k}`, edit: swapLatents(set) }))),
  ];
  const run = await runSliceVariants({
    model: A.weights,
    hook,
    slice,
    metric,
    scored,
    variants,
    device: params.device,
    async prepareGroup(g) {
      sessionB = await prepareEdit(B.weights, g.windows.map((i) => slice.windows[i].tokens), hook, { device: params.device });
      if (params.mode === 'latents') {
        const packedB = new GroupView(slice, g.windows, sessionB).packed();
        latentsA = await encodeFeatureColumns(sae!.weights, g.packed(), needed, { device: params.device });
        latentsB = await encodeFeatureColumns(sae!.weights, packedB, needed, { device: params.device });
        editable = g.editableRows();
      }
    },
    ctx,
    checkpoints,
    phase: 'runs',
    progressRange: [withNull ? 0.15 : 0, 1],
    label: 'swapping',
  });
  const mean = (id: string) => accumulatorMean(run.means.get(id)!);
  const [a, b, swapped] = [mean('a'), mean('b'), mean('swapped')];
  const draws: NullSeedDraws[] = drawn.map((d) => ({ ...d, effects: d.features.map((_, k) => mean(`null:${d.seed}:${k}`) - a) }));
  const subject = swapSubject({ mode: params.mode, hook, modelA: modelLabel(A), modelB: modelLabel(B), features: params.mode === 'latents' && features.length === sae!.weights.config.dSae ? 'all' : features, labels: sae ? await labelNamesInHome(ctx.home, sae.dir, { hash: true }) : undefined });
  const result = judgeEffect({ effect: swapped - a, draws: withNull ? draws : null, subject, measure: measureLabel(metric, condition), scale: accumulatorScale(run.means.get('a')!), margin: params.margin });
  // A gap within float noise of zero has no meaningful fraction (it would read as a huge percentage).
  const gapFraction = Math.abs(b - a) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b), 1e-12) ? null : (swapped - a) / (b - a);
  const gap = gapFraction === null ? ` ${modelLabel(A)} and ${modelLabel(B)} do not differ here (${fmt(a)}).` : ` The swapped run moves ${fmt(gapFraction * 100)}% of the way from ${modelLabel(A)} (${fmt(a)}) to ${modelLabel(B)} (${fmt(b)})${gapReading(params.mode, gapFraction, hook)}.`;
  ctx.progress(1, 'done');
  return {
    ...(await artifactEnvelope('swap', {
      started,
      executionProvider: run.executionProvider,
      params,
      slice,
      inputs: [{ role: 'model', root: A.dir }, { role: 'model', root: B.dir }, ...(sae ? [{ role: 'sae' as const, root: sae.dir }] : [])],
    })),
    hook,
    metric: metricInfo(metric, condition, positions),
    densities: stats && deciles ? densityInfo(stats, features, deciles) : null,
    a,
    b,
    swapped,
    gapFraction,
    result: { ...result, verdict: result.verdict + gap },
  };
}
