import fs from 'node:fs';
import { EXPERIMENT_JOB_KINDS, type ExperimentSources, type JobView } from '../../preload/api';
import { readyDemoBundle, type DemoGroundTruth } from '../demo/demoBundle';
import { DEMO_JOB_KIND } from '../demo/demoJob';
import { WorkbenchError } from '../errors';
import { artifactPath, readArtifact } from '../experiments/artifactFile';
import { runDir } from '../home';
import { LibraryCatalog } from '../library/libraryCatalog';
import type { HandlerTable } from './handlers';
import type { CoreServices } from './services';

type ExperimentsMethods = 'experiments.list' | 'experiments.artifact' | 'experiments.sources';

const KINDS = new Set<string>(Object.values(EXPERIMENT_JOB_KINDS));

export const experimentsHandlers: HandlerTable<ExperimentsMethods> = {
  'experiments.list': (_p, s) => ({
    jobs: s.jobStore.list().filter((j) => KINDS.has(j.kind)),
    resultFiles: new LibraryCatalog(s.db).items().filter((i) => i.kind === 'result'),
  }),
  'experiments.artifact': ({ jobId }, s) => {
    const job = s.jobStore.get(jobId);
    if (!job || !KINDS.has(job.kind)) throw new WorkbenchError('EXPERIMENT_NOT_FOUND', `There is no experiment job ${jobId}.`, 'Pick one from the Experiments page\'s list.');
    if (job.state !== 'completed') throw new WorkbenchError('EXPERIMENT_NOT_FINISHED', `The experiment ${jobId} is ${job.state}; its artifact is written when it completes.`, 'Wait for it in the Queue, or retry it if it failed.');
    return readArtifact(artifactPath(runDir(s.home, jobId)));
  },
  'experiments.sources': (_p, s) => experimentSources(s),
};

/** The demo bundle (generated in a worker on first use) and the Library's models, SAEs and datasets. */
function experimentSources(s: CoreServices): ExperimentSources {
  const out: ExperimentSources = { models: [], saes: [], datasets: [], demo: null, demoJobId: null };
  const demo = readyDemoBundle(s.home);
  if (demo) {
    const truth = JSON.parse(fs.readFileSync(demo.groundTruth, 'utf8')) as DemoGroundTruth;
    out.demo = {
      standard: demo.models.standard,
      adhd: demo.models.adhd,
      standardSae: demo.saes.standard,
      adhdSae: demo.saes.adhd,
      dataset: demo.dataset,
      plantedFeature: truth.adhdSaePlantedFeature,
      stepToken: truth.stepToken,
      targetToken: truth.targetToken,
    };
    out.models.push({ path: demo.models.standard, label: 'demo standard' }, { path: demo.models.adhd, label: 'demo adhd' });
    for (const name of ['standard', 'adhd'] as const) out.saes.push({ path: demo.saes[name], label: `demo ${name} · ${truth.hookName}`, modelPath: demo.models[name], hookName: truth.hookName, dSae: null });
    out.datasets.push({ path: demo.dataset, label: 'demo dataset (3000 documents)' });
  } else {
    const running = s.jobStore.list().find((j: JobView) => j.kind === DEMO_JOB_KIND && (j.state === 'queued' || j.state === 'running'));
    out.demoJobId = (running ?? s.jobs.add(DEMO_JOB_KIND, {}, 20)).id;
  }
  const items = new LibraryCatalog(s.db).items();
  const modelPathById = new Map(items.filter((i) => i.kind === 'model').map((i) => [i.id, i.path]));
  const known = new Set([...out.models, ...out.saes, ...out.datasets].map((x) => x.path));
  for (const item of items) {
    if (known.has(item.path)) continue;
    if (item.kind === 'model') out.models.push({ path: item.path, label: item.name });
    if (item.kind === 'sae') {
      out.saes.push({
        path: item.path,
        label: `${item.sae?.groupModel ?? item.name} · ${item.sae?.hookName ?? item.name}`,
        modelPath: item.sae?.modelItemId ? (modelPathById.get(item.sae.modelItemId) ?? null) : null,
        hookName: item.sae?.hookName ?? null,
        dSae: item.sae?.dSae ?? null,
      });
    }
    if (item.kind === 'dataset') out.datasets.push({ path: item.path, label: item.name });
  }
  return out;
}
