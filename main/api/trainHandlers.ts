import path from 'node:path';
import { EVAL_SAE_KIND, TRAIN_SAE_KIND, TrainSaeParamsSchema, type JobView, type TrainMetricPoint, type TrainRunWarning, type TrainModelOption, type TrainRunResult, type TrainRunView, type TrainSources } from '../../preload/api';
import { readyDemoBundle } from '../demo/demoBundle';
import { DEMO_JOB_KIND } from '../demo/demoJob';
import { DEFAULT_DEMO_MODEL_SPEC } from '../demo/demoModels';
import { modelHookNames } from '../engine/hooks';
import { readModelConfig } from '../formats/models/registry';
import { runDir } from '../home';
import { LibraryCatalog } from '../library/libraryCatalog';
import { readMetrics } from '../train/metricsLog';
import { deadLatentWarnings } from '../train/deadLatentTrend';
import { defaultDeadWindowSteps } from '../train/deadWindow';
import { trainOutDir } from '../train/trainJob';
import type { HandlerTable } from './handlers';
import { addGeneratedRoot, queueLibraryScan } from './libraryHandlers';
import { libraryWithDemo } from './promptHandlers';
import type { CoreServices } from './services';

type TrainMethods = 'train.sources' | 'train.runs' | 'train.metrics' | 'train.evaluations';

const newestFirst = (a: JobView, b: JobView) => b.createdAt - a.createdAt;

export const trainHandlers: HandlerTable<TrainMethods> = {
  'train.sources': (_p, s) => trainSources(s),
  // Lists carry summaries of params and results; runs and evaluations are few, so they come whole.
  'train.runs': (_p, s) =>
    wholeJobs(s, TRAIN_SAE_KIND)
      .sort(newestFirst)
      .flatMap((job): TrainRunView[] => {
        const params = TrainSaeParamsSchema.safeParse(job.params);
        return params.success ? [{ job, params: params.data, result: job.state === 'completed' ? (job.result as TrainRunResult) : null }] : [];
      }),
  'train.metrics': ({ jobId, after }, s) => {
    const dir = runDir(s.home, jobId);
    const page = readMetrics(dir, after ?? 0);
    return { ...page, warnings: runWarnings(s, jobId, after ? readMetrics(dir).points : page.points) };
  },
  'train.evaluations': (_p, s) => wholeJobs(s, EVAL_SAE_KIND).sort(newestFirst),
};

/** The curve's warnings (deadLatentTrend.ts); none when the run's params or model cannot be read. */
function runWarnings(s: CoreServices, jobId: string, points: TrainMetricPoint[]): TrainRunWarning[] {
  const job = s.jobStore.get(jobId);
  const params = TrainSaeParamsSchema.safeParse(job?.params);
  if (!params.success || points.length === 0) return [];
  const p = params.data;
  let dIn: number;
  try {
    dIn = readModelConfig(p.model).config.dModel;
  } catch {
    return [];
  }
  const totalSteps = Math.floor(p.tokens / p.batchSize);
  const deadWindowSteps = p.deadWindowTokens !== undefined ? Math.max(1, Math.ceil(p.deadWindowTokens / p.batchSize)) : defaultDeadWindowSteps(totalSteps);
  return deadLatentWarnings(points, { dIn, dSae: p.dSae ?? p.expansionFactor * dIn, k: p.k, batchSize: p.batchSize, totalSteps, deadWindowSteps, auxCoefficient: p.auxCoefficient, lrGiven: p.lr !== undefined });
}

function wholeJobs(s: CoreServices, kind: string): JobView[] {
  return s.jobStore
    .list()
    .filter((j) => j.kind === kind)
    .map((j) => s.jobStore.get(j.id) ?? j);
}

function modelOption(path: string, label: string, origin: TrainModelOption['origin']): TrainModelOption | null {
  try {
    const c = readModelConfig(path).config;
    return { path, label, origin, hooks: modelHookNames(c), dModel: c.dModel, nCtx: c.nCtx };
  } catch {
    // A model folder the loaders cannot read is listed by the Library with its problem; not here.
    return null;
  }
}

/** The demo bundle (generation queued on first use, as the Prompt view does) and the Library's items. */
function trainSources(s: CoreServices): TrainSources {
  const out: TrainSources = { models: [], datasets: [], saes: [], demo: null, demoJobId: null };
  const demo = readyDemoBundle(s.home);
  // Models and SAEs under the Library's identity labels, the same names every other page shows.
  const items = libraryWithDemo(s);
  const labelOf = (p: string, fallback: string) => items.find((i) => i.path === path.resolve(p))?.identity.label ?? fallback;
  if (demo) {
    const layer = DEFAULT_DEMO_MODEL_SPEC.plantedLayer;
    const hook = `blocks.${layer}.hook_resid_post`;
    for (const name of ['standard', 'adhd'] as const) {
      const m = modelOption(demo.models[name], labelOf(demo.models[name], `demo ${name}`), 'demo');
      if (m) out.models.push(m);
      out.saes.push({ path: demo.saes[name], label: labelOf(demo.saes[name], `demo ${name} · ${hook} (constructed)`), origin: 'demo', modelPath: demo.models[name], hookName: hook });
    }
    out.datasets.push({ path: demo.dataset, label: 'demo dataset (3000 documents)', origin: 'demo' });
    out.demo = { standard: demo.models.standard, adhd: demo.models.adhd, dataset: demo.dataset, hooks: [hook, `blocks.${layer}.hook_mlp_out`] };
  } else {
    const pending = s.jobStore.list().find((j) => j.kind === DEMO_JOB_KIND && (j.state === 'queued' || j.state === 'running'));
    out.demoJobId = (pending ?? s.jobs.add(DEMO_JOB_KIND, {}, 20)).id;
  }
  const modelPathById = new Map(items.filter((i) => i.kind === 'model').map((i) => [i.id, i.path]));
  const known = new Set([...out.models, ...out.datasets, ...out.saes].map((o) => o.path));
  for (const item of items) {
    if (known.has(item.path)) continue;
    if (item.kind === 'model') {
      const m = modelOption(item.path, item.identity.label, 'library');
      if (m) out.models.push(m);
    } else if (item.kind === 'dataset') {
      out.datasets.push({ path: item.path, label: item.name, origin: 'library' });
    } else if (item.kind === 'sae' && item.sae) {
      out.saes.push({ path: item.path, label: item.identity.label, origin: 'library', modelPath: item.sae.modelItemId ? (modelPathById.get(item.sae.modelItemId) ?? null) : null, hookName: item.sae.hookName });
    }
  }
  return out;
}

/** When a training run completes, its SAEs join the Library (their folder becomes a Library root). */
export function watchTraining(s: CoreServices): () => void {
  return s.events.subscribe((event, payload) => {
    if (event !== 'job.updated') return;
    const job = payload as JobView;
    if (job.kind !== TRAIN_SAE_KIND || job.state !== 'completed') return;
    // The event carries a summary of the params; the output folder comes from the whole params.
    const params = TrainSaeParamsSchema.safeParse(s.jobStore.paramsOf(job.id));
    if (!params.success) return;
    const out = path.resolve(trainOutDir(runDir(s.home, job.id), params.data));
    if (new LibraryCatalog(s.db).roots().some((r) => r.path === out)) queueLibraryScan(s);
    else addGeneratedRoot(s, out, 'the trained SAEs');
  });
}
