import fs from 'node:fs';
import { EXPERIMENT_JOB_KINDS, type ExperimentSources, type JobView } from '../../preload/api';
import { readyDemoBundle, type DemoGroundTruth } from '../demo/demoBundle';
import { DEMO_JOB_KIND } from '../demo/demoJob';
import { WorkbenchError } from '../errors';
import { artifactPath, readArtifact } from '../experiments/artifactFile';
import { runDir } from '../home';
import { LibraryCatalog } from '../library/libraryCatalog';
import { libraryWithDemo } from './promptHandlers';
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

/** The Library's models, SAEs and datasets with their identities, the demo bundle among them (generated in a worker on first use). */
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
  } else {
    const running = s.jobStore.list().find((j: JobView) => j.kind === DEMO_JOB_KIND && (j.state === 'queued' || j.state === 'running'));
    out.demoJobId = (running ?? s.jobs.add(DEMO_JOB_KIND, {}, 20)).id;
  }
  // The demo bundle's items first, so it heads every picker.
  const items = libraryWithDemo(s).sort((a, b) => Number(!!b.identity.bundle) - Number(!!a.identity.bundle));
  for (const item of items) {
    const named = { path: item.path, label: item.identity.label, detail: item.identity.detail };
    if (item.kind === 'model' && item.problems.length === 0) out.models.push(named);
    if (item.kind === 'sae' && item.sae) out.saes.push({ ...named, modelPath: item.sae.link.modelPath, hookName: item.sae.hookName, dSae: item.sae.dSae });
    if (item.kind === 'dataset') out.datasets.push(named);
  }
  return out;
}
