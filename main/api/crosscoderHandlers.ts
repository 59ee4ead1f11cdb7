import path from 'node:path';
import { CROSSCODER_ANALYSE_KIND, DEFAULT_CROSSCODER_BANDS, CrosscoderAnalyseParamsSchema, TRAIN_CROSSCODER_KIND, TrainCrosscoderParamsSchema, type CrosscoderAnalysisView, type CrosscoderRunView, type CrosscoderTrainResult, type JobView } from '../../preload/api';
import { readAnalysis } from '../compare/crosscoderAnalyseRun';
import { crosscoderAgreement } from '../compare/crosscoderAgreement';
import { readDiff } from './compareHandlers';
import { readCrosscoderConfig } from '../formats/crosscoder';
import { runDir } from '../home';
import { crosscoderOutDir } from '../train/crosscoderJob';
import { LibraryCatalog } from '../library/libraryCatalog';
import type { HandlerTable } from './handlers';
import { addGeneratedRoot, queueLibraryScan } from './libraryHandlers';
import type { CoreServices } from './services';

type CrosscoderMethods = 'crosscoder.runs' | 'crosscoder.analysis' | 'crosscoder.analyse' | 'crosscoder.agreement';

const newestFirst = (a: JobView, b: JobView) => b.createdAt - a.createdAt;

function wholeJobs(s: CoreServices, kind: string): JobView[] {
  return s.jobStore
    .list()
    .filter((j) => j.kind === kind)
    .map((j) => s.jobStore.get(j.id) ?? j)
    .sort(newestFirst);
}

/** Analyses of one crosscoder folder, newest first (params compared by resolved path). */
function analysesOf(s: CoreServices, crosscoder: string): JobView[] {
  const dir = path.resolve(crosscoder);
  return wholeJobs(s, CROSSCODER_ANALYSE_KIND).filter((j) => path.resolve((j.params as { crosscoder?: string }).crosscoder ?? '') === dir);
}

export const crosscoderHandlers: HandlerTable<CrosscoderMethods> = {
  'crosscoder.runs': (_p, s) =>
    wholeJobs(s, TRAIN_CROSSCODER_KIND).flatMap((job): CrosscoderRunView[] => {
      const params = TrainCrosscoderParamsSchema.safeParse(job.params);
      return params.success ? [{ job, params: params.data, result: job.state === 'completed' ? (job.result as CrosscoderTrainResult) : null }] : [];
    }),
  'crosscoder.analysis': ({ crosscoder, job: wanted }, s): CrosscoderAnalysisView => {
    const all = analysesOf(s, crosscoder);
    const job = (wanted ? all.find((j) => j.id === wanted) : undefined) ?? all[0] ?? null;
    return { job, analysis: job?.state === 'completed' ? readAnalysis(runDir(s.home, job.id)) : null };
  },
  'crosscoder.analyse': (params, s) => {
    // Refuse a folder that is not a crosscoder before queueing.
    readCrosscoderConfig(path.resolve(params.crosscoder));
    const parsed = CrosscoderAnalyseParamsSchema.parse(params);
    // Asked again with the same params: the finished (or queued/running) one is the answer.
    const same = analysesOf(s, params.crosscoder).find((j) => ['completed', 'queued', 'running'].includes(j.state) && JSON.stringify(CrosscoderAnalyseParamsSchema.parse(j.params)) === JSON.stringify(parsed));
    return same ?? s.jobs.add(CROSSCODER_ANALYSE_KIND, params);
  },
  'crosscoder.agreement': ({ crosscoderIndex, diffJobId, bands }, s) => crosscoderAgreement(s.home, s.db, crosscoderIndex, readDiff(s, diffJobId), bands ?? DEFAULT_CROSSCODER_BANDS),
};

/** A finished crosscoder joins the Library (its folder added, or a rescan when it lies in an added one). */
export function watchCrosscoderTraining(s: CoreServices): () => void {
  return s.events.subscribe((event, payload) => {
    if (event !== 'job.updated') return;
    const job = payload as JobView;
    if (job.kind !== TRAIN_CROSSCODER_KIND || job.state !== 'completed') return;
    const params = TrainCrosscoderParamsSchema.safeParse(s.jobStore.paramsOf(job.id));
    if (!params.success) return;
    const out = path.resolve(crosscoderOutDir(runDir(s.home, job.id), params.data));
    if (new LibraryCatalog(s.db).roots().some((r) => out === r.path || out.startsWith(`${r.path}${path.sep}`))) queueLibraryScan(s);
    else addGeneratedRoot(s, out, 'the trained crosscoder');
  });
}
