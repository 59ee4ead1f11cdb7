import fs from 'node:fs';
import path from 'node:path';
import { COMPARE_DIFF_JOB_KIND, COMPARE_MATCH_JOB_KIND, type DiffResult } from '../../preload/api';
import { compileCondition } from '../conditions/tokenCondition';
import { cachedMatch, previewCondition } from '../compare/runCompare';
import { SavedConditions } from '../compare/savedConditions';
import { requireSameCorpus } from '../compare/alignedPositions';
import { WorkbenchError } from '../errors';
import { IndexRegistry } from '../index/indexRegistry';
import type { HandlerTable } from './handlers';

type CompareMethods = 'compare.match' | 'compare.matchResult' | 'compare.diff' | 'compare.diffResult' | 'compare.conditions' | 'compare.saveCondition' | 'compare.removeCondition' | 'compare.previewCondition';

export const compareHandlers: HandlerTable<CompareMethods> = {
  'compare.match': (params, s) => {
    const registry = new IndexRegistry(s.db);
    registry.require(params.a);
    registry.require(params.b);
    return s.jobs.add(COMPARE_MATCH_JOB_KIND, params);
  },
  'compare.matchResult': ({ a, b, method }, s) => cachedMatch(s.home, new IndexRegistry(s.db), a, b, method),
  'compare.diff': (params, s) => {
    // Refuse what cannot run before queueing: unknown indexes, misaligned corpora, a bad condition.
    const registry = new IndexRegistry(s.db);
    requireSameCorpus(registry.require(params.a), registry.require(params.b));
    compileCondition(params.condition, new SavedConditions(s.db).resolve);
    return s.jobs.add(COMPARE_DIFF_JOB_KIND, params);
  },
  'compare.diffResult': ({ jobId }, s) => {
    const job = s.jobStore.get(jobId);
    if (!job || job.kind !== COMPARE_DIFF_JOB_KIND) throw new WorkbenchError('DIFF_NOT_FOUND', `There is no condition diff job ${jobId}.`, 'Run a condition diff from the Compare page.');
    if (job.state !== 'completed') throw new WorkbenchError('DIFF_NOT_READY', `The condition diff ${jobId} is ${job.state}.`, job.state === 'failed' ? (job.error?.message ?? 'See its log in the Queue.') : 'Wait for it to finish.');
    const file = path.join(s.home, 'runs', jobId, 'diff.json');
    if (!fs.existsSync(file)) throw new WorkbenchError('DIFF_MISSING', `The result file ${file} of diff ${jobId} is missing.`, 'Run the diff again.');
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DiffResult;
  },
  'compare.conditions': (_p, s) => new SavedConditions(s.db).list(),
  'compare.saveCondition': (c, s) => new SavedConditions(s.db).save(c),
  'compare.removeCondition': ({ name }, s) => {
    new SavedConditions(s.db).remove(name);
    return { removed: true as const };
  },
  'compare.previewCondition': ({ indexId, spec, documents }, s) => previewCondition(s.home, s.db, indexId, spec, documents),
};
