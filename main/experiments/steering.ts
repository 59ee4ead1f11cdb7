/**
 * Steering panels: up to four (model x feature x intervention), each measured against its own
 * null (the same intervention on size- and density-matched random features of the same SAE, S
 * seeds), at one strength or a sweep, with optional generated text with and without it.
 *
 * A panel's direction is W_dec[f] of an SAE; when the SAE belongs to another model (`saeModel`)
 * the direction is carried over, which means something only when the two residual bases are
 * shared (a model and its fine-tune, or the demo pair): the artifact marks such panels `carried`.
 */
import type { NullSeedDraws, SteerArtifact, SteerPanelResult, SteerPoint, SteerSettings } from '../../preload/api';
import { labelNamesInHome } from '../labels/labelLookup';
import type { Tensor32 } from '../formats/tensor';
import { WorkbenchError } from '../errors';
import { LatentColumns } from './latentColumns';
import { artifactEnvelope } from './artifactEnvelope';
import { addDirection, matrixRow, replaceComponent } from './directionEdits';
import { savedConditionResolver } from './appDatabase';
import { conditionMasks, loadDocumentSlice, type DocumentSlice } from './documentSlice';
import { PhaseCheckpoints, type ExperimentContext } from './experimentContext';
import { checkFeatureIds, checkHook, checkSaeOnModel, checkSameVocabulary, loadExperimentModel, modelLabel, loadExperimentSae, type ExperimentModel, type ExperimentSae } from './experimentInputs';
import { densities, densityInfo, loadFeatureStats, type LoadedFeatureStats } from './featureStats';
import { generateTokens, type GenerationEdit } from './generation';
import { judgeEffect } from '../stats/verdict';
import { accumulatorMean, accumulatorScale, metricInfo, parseMetric, scoredOrRefuse } from './metric';
import { measureLabel, steeringSubject, steerPanelLabel } from './verdictSubjects';
import { densityDeciles, drawAllNullSets, type DensityDeciles } from './nullDraws';
import { runSliceVariants, type GroupView, type Variant } from './sliceRunner';

type Panel = SteerSettings['panels'][number];

interface PanelPlan {
  index: number;
  panel: Panel;
  label: string;
  model: ExperimentModel;
  sae: ExperimentSae;
  saeModel: ExperimentModel;
  carried: boolean;
  hook: string;
  stats: LoadedFeatureStats;
  deciles: DensityDeciles;
  drawn: { seed: number; prngSeed: number; features: number[][] }[];
  strengths: number[];
  featureMax: number;
  decoderNorm: number;
  columns: LatentColumns | null;
  /** The user's label of the panel's feature (main/labels), for the verdict's subject. */
  featureLabel: string | null;
}

/** The intervention of a panel on packed activations, for feature g at strength c. */
function panelEdit(plan: PanelPlan, g: number, c: number, rows: (group: GroupView) => Uint8Array): (group: GroupView) => Tensor32[] {
  const v = matrixRow(plan.sae.weights.W_dec, g);
  switch (plan.panel.intervention) {
    case 'add':
      return (group) => group.unpack(addDirection(group.packed(), v, c, rows(group)));
    case 'replace':
      return (group) => group.unpack(replaceComponent(group.packed(), v, c, rows(group)));
    case 'ablate':
      return (group) => {
        const allowed = rows(group);
        return group.unpack(plan.columns!.edit(group.packed(), [g], (r, _i, current) => (allowed[r] ? 0 : current)));
      };
  }
}

function subjectOf(plan: PanelPlan, c: number, where: string): string {
  return steeringSubject({ intervention: plan.panel.intervention, feature: plan.panel.feature, strength: c, model: modelLabel(plan.model), carriedFrom: plan.carried ? modelLabel(plan.saeModel) : null, where, labels: plan.featureLabel ? new Map([[plan.panel.feature, plan.featureLabel]]) : undefined });
}

export async function runSteering(params: SteerSettings, ctx: ExperimentContext): Promise<SteerArtifact> {
  const started = Date.now();
  const checkpoints = new PhaseCheckpoints(ctx);
  ctx.progress(0, 'reading documents');
  const slices = new Map<string, DocumentSlice>();
  const statsBySae = new Map<string, LoadedFeatureStats>();
  const plans: PanelPlan[] = [];
  // Feature statistics take the first 20% of progress, the runs the rest.
  const statsShare = 0.2;
  for (const [index, panel] of params.panels.entries()) {
    const model = loadExperimentModel(panel.model);
    const saeModel = loadExperimentModel(panel.saeModel ?? panel.model);
    const sae = loadExperimentSae(panel.sae, { decoder: panel.decoder, model: saeModel });
    if (sae.crosscoder && panel.intervention === 'ablate') {
      throw new WorkbenchError('CROSSCODER_NOT_SUPPORTED', `Panel ${index + 1}: ablating crosscoder latent #${panel.feature} needs both models' activations at once; a panel runs one model.`, 'Steer with it by add or replace (its decoder as the direction).');
    }
    checkSaeOnModel(sae, saeModel);
    checkFeatureIds(sae, [panel.feature]);
    const carried = saeModel.dir !== model.dir;
    if (carried) {
      checkSameVocabulary(model, saeModel);
      if (sae.weights.config.dIn !== model.weights.config.dModel) {
        throw new WorkbenchError('SAE_MODEL_MISMATCH', `Panel ${index + 1}: the direction from ${sae.dir} is ${sae.weights.config.dIn} wide; ${model.dir} has d_model ${model.weights.config.dModel}.`, 'Carry directions only between models with the same residual basis.');
      }
    }
    const hook = sae.weights.config.hookName;
    checkHook(model, hook);
    const slice = slices.get(model.dir) ?? (await loadSlice(params, model, sae));
    slices.set(model.dir, slice);
    // Densities and max activations of the SAE on its own model, over the same documents.
    const statsKey = `${sae.dir}|${saeModel.dir}`;
    let stats = statsBySae.get(statsKey);
    if (!stats) {
      const saeSlice = slices.get(saeModel.dir) ?? (await loadSlice(params, saeModel, sae));
      slices.set(saeModel.dir, saeSlice);
      const span = statsShare / params.panels.length;
      stats = await loadFeatureStats({ model: saeModel, sae, slice: saeSlice, device: params.device, ctx, checkpoints, phase: `stats:${statsKey}`, progressRange: [index * span, (index + 1) * span] });
      statsBySae.set(statsKey, stats);
    }
    const deciles = densityDeciles(densities(stats.stats));
    const featureMax = stats.stats.max[panel.feature];
    const v = matrixRow(sae.weights.W_dec, panel.feature);
    const strengths = panel.intervention === 'ablate' ? [0] : (panel.strengths ?? [panel.intervention === 'add' ? featureMax : 0]);
    const featureLabel = (await labelNamesInHome(ctx.home, sae.dir, { hash: true })).get(panel.feature) ?? null;
    if (strengths.length === 0) throw new WorkbenchError('BAD_ARGUMENT', `Panel ${index + 1} has an empty strength sweep.`, 'Give at least one strength, or leave strengths out for the default.');
    plans.push({
      index,
      panel,
      label: panel.label ?? steerPanelLabel({ model: modelLabel(model), feature: panel.feature, intervention: panel.intervention, carried, labels: featureLabel ? new Map([[panel.feature, featureLabel]]) : undefined }),
      model,
      sae,
      saeModel,
      carried,
      hook,
      stats,
      deciles,
      drawn: drawAllNullSets([panel.feature], deciles, params.seeds, params.drawsPerSeed, params.nullSeed),
      strengths,
      featureMax,
      decoderNorm: Math.sqrt(v.reduce((a, e) => a + e * e, 0)),
      columns: null,
      featureLabel,
    });
  }

  // One pass per (model, hook): the panels there share each group's clean prefix.
  const groups = new Map<string, PanelPlan[]>();
  for (const p of plans) groups.set(`${p.model.dir}|${p.hook}`, [...(groups.get(`${p.model.dir}|${p.hook}`) ?? []), p]);
  const results: SteerPanelResult[] = new Array(plans.length);
  let executionProvider = 'cpu';
  let metricOut: SteerArtifact['metric'] | null = null;
  let done = 0;
  for (const [key, members] of groups) {
    const { model, hook } = members[0];
    const slice = slices.get(model.dir)!;
    const metric = parseMetric(params.metric, model.tokenizer, model.weights.config.dVocab);
    const { spec: condition, masks } = conditionMasks(slice.documents, model.tokenizer, params.condition, savedConditionResolver(ctx.home), slice.info.contextSize);
    if (params.steerAt === 'condition' && !condition) throw new WorkbenchError('BAD_ARGUMENT', 'Steering at condition positions needs a condition.', 'Give a condition (e.g. token-regex:^Step$) or steer at all positions.');
    const { scored, positions } = scoredOrRefuse(metric, slice, masks, condition);
    metricOut ??= metricInfo(metric, condition, positions);
    const steerRows = (group: GroupView) => {
      const editable = group.editableRows();
      if (params.steerAt === 'all') return editable;
      const cond = group.rowMask(masks);
      return editable.map((e, r) => e & cond[r]);
    };
    const variants: Variant[] = [{ id: 'clean', edit: (g) => g.activations }];
    for (const plan of members) {
      if (plan.panel.intervention === 'ablate') plan.columns = new LatentColumns(plan.sae, [...new Set([plan.panel.feature, ...plan.drawn.flatMap((d) => d.features.flat())])].sort((a, b) => a - b), params.device);
      plan.strengths.forEach((c, j) => {
        variants.push({ id: `p${plan.index}:${j}:real`, edit: panelEdit(plan, plan.panel.feature, c, steerRows) });
        for (const d of plan.drawn) d.features.forEach((set, k) => variants.push({ id: `p${plan.index}:${j}:null:${d.seed}:${k}`, edit: panelEdit(plan, set[0], c, steerRows) }));
      });
    }
    const start = statsShare + ((1 - statsShare) * done) / plans.length;
    done += members.length;
    const run = await runSliceVariants({
      model: model.weights,
      hook,
      slice,
      metric,
      scored,
      variants,
      device: params.device,
      prepareGroup: async (g) => {
        for (const p of members) await p.columns?.prepare(g.packed(), g.editableRows());
      },
      ctx,
      checkpoints,
      phase: `runs:${key}`,
      progressRange: [start, statsShare + ((1 - statsShare) * done) / plans.length],
      label: `steering ${modelLabel(model)}`,
    });
    executionProvider = run.executionProvider;
    const mean = (id: string) => accumulatorMean(run.means.get(id)!);
    const clean = mean('clean');
    const scale = accumulatorScale(run.means.get('clean')!);
    const where = params.steerAt === 'condition' ? ' at the condition positions' : '';
    for (const plan of members) {
      const points: SteerPoint[] = plan.strengths.map((c, j) => {
        const steered = mean(`p${plan.index}:${j}:real`);
        const draws: NullSeedDraws[] = plan.drawn.map((d) => ({ ...d, effects: d.features.map((_, k) => mean(`p${plan.index}:${j}:null:${d.seed}:${k}`) - clean) }));
        return { strength: c, steered, ...judgeEffect({ effect: steered - clean, draws, subject: subjectOf(plan, c, where), measure: measureLabel(metric, condition), scale, margin: params.margin }) };
      });
      results[plan.index] = {
        label: plan.label,
        model: plan.model.dir,
        sae: plan.sae.dir,
        saeModel: plan.saeModel.dir,
        feature: plan.panel.feature,
        intervention: plan.panel.intervention,
        hook: plan.hook,
        carried: plan.carried,
        featureMax: plan.featureMax,
        decoderNorm: plan.decoderNorm,
        densities: densityInfo(plan.stats, [plan.panel.feature], plan.deciles),
        clean,
        points,
        generation: params.prompt ? await generatePair(params, plan, plan.strengths.at(-1)!, params.steerAt === 'condition' ? condition : null) : null,
      };
    }
  }
  ctx.progress(1, 'done');
  const firstSlice = slices.get(plans[0].model.dir)!;
  return {
    ...(await artifactEnvelope('steer', {
      started,
      executionProvider,
      params,
      slice: firstSlice,
      inputs: plans.flatMap((p) => [
        { role: 'model' as const, root: p.model.dir },
        { role: 'model' as const, root: p.saeModel.dir },
        { role: 'sae' as const, root: p.sae.dir },
      ]),
    })),
    metric: metricOut!,
    panels: results,
  };
}

function loadSlice(params: SteerSettings, model: ExperimentModel, sae: ExperimentSae): Promise<DocumentSlice> {
  return loadDocumentSlice(model.tokenizer, {
    dataset: params.dataset,
    textColumn: params.textColumn,
    maxDocuments: params.maxDocuments,
    contextSize: params.contextSize,
    saeContextSize: sae.weights.config.contextSize,
    nCtx: model.weights.config.nCtx,
    prependBos: sae.weights.config.prependBos ?? model.weights.config.prependBos,
  });
}

/** The panel's prompt generated without and with its intervention at strength c, same seed; `condition` (expanded) limits where it applies. */
async function generatePair(params: SteerSettings, plan: PanelPlan, c: number, condition: string | null): Promise<SteerPanelResult['generation']> {
  const { model, sae } = plan;
  const bos = sae.weights.config.prependBos ?? model.weights.config.prependBos;
  const prompt = model.tokenizer.encode(params.prompt!, { prependBos: bos });
  const edit: GenerationEdit = {
    hook: plan.hook,
    async apply(acts, tokens) {
      const rows = new Uint8Array(tokens.length).fill(1);
      if (bos && tokens[0] === model.weights.config.bosTokenId) rows[0] = 0;
      if (condition) {
        // A context cut to n_ctx no longer starts with BOS: its first token is then a real one.
        const { masks } = conditionMasks([{ document: 0, tokens, bos: bos && tokens[0] === model.weights.config.bosTokenId }], model.tokenizer, condition);
        masks[0].forEach((m, p) => (rows[p] &= m));
      }
      const v = matrixRow(sae.weights.W_dec, plan.panel.feature);
      if (plan.panel.intervention === 'add') return addDirection(acts, v, c, rows);
      if (plan.panel.intervention === 'replace') return replaceComponent(acts, v, c, rows);
      const one = new LatentColumns(sae, [plan.panel.feature], params.device);
      await one.prepare(acts, rows);
      return one.edit(acts, [plan.panel.feature], () => 0);
    },
  };
  const opts = { maxNewTokens: params.maxNewTokens, temperature: params.temperature, seed: params.sampleSeed, device: params.device };
  const clean = await generateTokens(model, prompt, opts);
  const steered = await generateTokens(model, prompt, { ...opts, edit });
  return { strength: c, prompt: params.prompt!, clean: model.tokenizer.decode(clean), steered: model.tokenizer.decode(steered) };
}
