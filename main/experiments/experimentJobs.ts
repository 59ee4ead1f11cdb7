/**
 * The experiment job kinds. Each runs in a worker, reports progress, checkpoints between groups
 * of documents (pause and resume keep the accumulated sums), writes its artifact to
 * runs/<job-id>/experiment.json and returns the CLI's summary plus the artifact's path.
 */
import { AblateParams, EXPERIMENT_JOB_KINDS, ProbeParams, SteerParams, SwapParams, type ResourceClass } from '../../preload/api';
import { readModelConfig } from '../formats/models/registry';
import { defineJobKind, type JobContext } from '../jobs/kind';
import { knownLabelNamesInHome } from '../labels/labelLookup';
import { identityLabel, saeLabelOfFolder } from '../library/identity';
import { ablateTitle, probeTitle, steerTitle, swapTitle } from './verdictSubjects';

/** GPU-class unless the run is pinned to the CPU: one GPU job at a time. */
const resourceOf = (p: { device: string }): ResourceClass => (p.device === 'cpu' ? 'cpu' : 'gpu');
/**
 * The Library's display identity of an input, for a title written when the job is queued (the
 * configs are read for the names they give; an unreadable one leaves the folder's name).
 */
function label(kind: 'model' | 'sae', dir: string): string {
  try {
    return kind === 'sae' ? saeLabelOfFolder(dir) : identityLabel('model', dir, { configName: readModelConfig(dir).config.name });
  } catch {
    return identityLabel(kind, dir);
  }
}

async function finish(ctx: JobContext, artifact: unknown, summary: unknown) {
  const { artifactPath, writeJsonAtomic } = await import('./artifactFile');
  const file = artifactPath(ctx.runDir);
  writeJsonAtomic(file, artifact);
  ctx.log('info', `Artifact written to ${file}`);
  return { ...(summary as object), artifact: file };
}

export const ablateJob = defineJobKind({
  kind: EXPERIMENT_JOB_KINDS.ablate,
  description: 'Ablate SAE features (zero or mean, by splice) and compare the metric change with density-matched random features over seeds.',
  params: AblateParams,
  title: (p, env) => ablateTitle(p, label('sae', p.sae), knownLabelNamesInHome(env.home, p.sae)),
  resource: resourceOf,
  pausable: true,
  async run(ctx, params) {
    const [{ runAblation }, { ablationSummary }] = await Promise.all([import('./ablation'), import('./summaries')]);
    const artifact = await runAblation(params, ctx);
    ctx.log('info', artifact.result.verdict);
    return finish(ctx, artifact, ablationSummary(artifact));
  },
});

export const steerJob = defineJobKind({
  kind: EXPERIMENT_JOB_KINDS.steer,
  description: 'Steer along SAE decoder directions (up to four panels, strength sweeps) against density-matched random directions, with generated text.',
  params: SteerParams,
  title: (p, env) => steerTitle(p.panels.map((x) => ({ model: label('model', x.model), feature: x.feature, intervention: x.intervention, carried: !!x.saeModel && x.saeModel !== x.model, labels: knownLabelNamesInHome(env.home, x.sae) })), p.metric),
  resource: resourceOf,
  pausable: true,
  async run(ctx, params) {
    const [{ runSteering }, { steeringSummary }] = await Promise.all([import('./steering'), import('./summaries')]);
    const artifact = await runSteering(params, ctx);
    for (const p of artifact.panels) for (const pt of p.points) ctx.log('info', pt.verdict);
    return finish(ctx, artifact, steeringSummary(artifact));
  },
});

export const swapJob = defineJobKind({
  kind: EXPERIMENT_JOB_KINDS.swap,
  description: "Continue model A from a hook with model B's layers (or B's SAE latents), against both unswapped models and seeded nulls.",
  params: SwapParams,
  title: (p) => swapTitle(p, label('model', p.modelA), label('model', p.modelB)),
  resource: resourceOf,
  pausable: true,
  async run(ctx, params) {
    const [{ runSwap }, { swapSummary }] = await Promise.all([import('./swap'), import('./summaries')]);
    const artifact = await runSwap(params, ctx);
    ctx.log('info', artifact.result.verdict);
    return finish(ctx, artifact, swapSummary(artifact));
  },
});

export const probeJob = defineJobKind({
  kind: EXPERIMENT_JOB_KINDS.probe,
  description: 'Train logistic-regression probes for a token condition on hook activations or SAE latents; held-out accuracy, AUROC and the majority baseline.',
  params: ProbeParams,
  title: (p) => probeTitle(p, p.probes.map((x) => label('model', x.model))),
  resource: resourceOf,
  pausable: false,
  async run(ctx, params) {
    const [{ runProbes }, { probeSummary }] = await Promise.all([import('./probes'), import('./summaries')]);
    const artifact = await runProbes(params, ctx);
    for (const p of artifact.probes) ctx.log('info', p.verdict);
    return finish(ctx, artifact, probeSummary(artifact));
  },
});

export const experimentJobs = [ablateJob, steerJob, swapJob, probeJob];
