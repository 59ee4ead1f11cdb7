import fs from 'node:fs';
import path from 'node:path';
import { COMPARE_DIFF_JOB_KIND, COMPARE_MATCH_JOB_KIND, type DiffResult } from '../../preload/api';
import { compileCondition } from '../conditions/tokenCondition';
import { explainNoTable, findRecordTables, overlayRankings, tableRows } from '../compare/artifactOverlay';
import { readLibraryArtifact } from './libraryHandlers';
import { cachedMatch, previewCondition } from '../compare/runCompare';
import { SavedConditions } from '../conditions/savedConditions';
import { requireSameCorpus } from '../compare/alignedPositions';
import { featureCounterpart } from '../compare/counterpart';
import { findIdenticalDiff } from '../compare/diffReuse';
import { WorkbenchError } from '../errors';
import { runDir } from '../home';
import { IndexRegistry } from '../index/indexRegistry';
import type { HandlerTable } from './handlers';
import type { CoreServices } from './services';

type CompareMethods = 'compare.counterpart' | 'compare.diffFile' | 'compare.artifactTables' | 'compare.overlay' | 'compare.match' | 'compare.matchResult' | 'compare.diff' | 'compare.diffResult' | 'compare.conditions' | 'compare.saveCondition' | 'compare.removeCondition' | 'compare.previewCondition';

export const compareHandlers: HandlerTable<CompareMethods> = {
  'compare.match': (params, s) => {
    const registry = new IndexRegistry(s.db);
    registry.require(params.a);
    registry.require(params.b);
    return s.jobs.add(COMPARE_MATCH_JOB_KIND, params);
  },
  'compare.counterpart': ({ index, feature, other }, s) => featureCounterpart(s.home, new IndexRegistry(s.db), index, feature, other),
  'compare.matchResult': ({ a, b, method }, s) => cachedMatch(s.home, new IndexRegistry(s.db), a, b, method),
  'compare.diff': (params, s) => {
    // Refuse what cannot run before queueing: unknown indexes, misaligned corpora, a bad condition.
    const registry = new IndexRegistry(s.db);
    requireSameCorpus(registry.require(params.a), registry.require(params.b));
    const condition = compileCondition(params.condition, new SavedConditions(s.db).resolve);
    // Asked again with nothing changed: the finished job is the answer (no identical job queued).
    return findIdenticalDiff(s.home, s.jobStore, registry, params, condition.spec) ?? s.jobs.add(COMPARE_DIFF_JOB_KIND, params);
  },
  'compare.artifactTables': ({ artifactId }, s) => {
    const { item, content } = readLibraryArtifact(s, artifactId);
    const tables = findRecordTables(content);
    if (tables.length === 0) throw explainNoTable(content, path.basename(item.path));
    return tables;
  },
  'compare.overlay': ({ jobId, artifactId, path: at, keyedById, idField, valueField, topN }, s) => {
    const diff = readDiff(s, jobId);
    const rows = tableRows(readLibraryArtifact(s, artifactId).content, { path: at, keyedById });
    const theirs = rows.flatMap((r) => (Number.isInteger(r[idField]) && typeof r[valueField] === 'number' ? [{ feature: r[idField] as number, value: r[valueField] as number }] : []));
    if (theirs.length === 0) throw new WorkbenchError('ARTIFACT_COLUMNS', `No row of that table has an integer "${idField}" and a numeric "${valueField}".`, 'Choose the columns holding the feature id and the asymmetry-like value.');
    return { path: at, idField, valueField, ...overlayRankings(diff.features.map((f) => ({ feature: f.feature, value: f.asymmetry })), theirs, topN) };
  },
  'compare.diffResult': ({ jobId }, s) => readDiff(s, jobId),
  'compare.diffFile': ({ jobId, format }, s) => {
    const diff = readDiff(s, jobId);
    const file = diff.files?.[format];
    if (!file || !fs.existsSync(file)) throw new WorkbenchError('DIFF_MISSING', `The ${format.toUpperCase()} export of diff ${jobId} is missing.`, 'Run the diff again.');
    return { name: `diff-${diff.b.id}-vs-${diff.a.id}.${format}`, text: fs.readFileSync(file, 'utf8') };
  },
  'compare.conditions': (_p, s) => new SavedConditions(s.db).list(),
  'compare.saveCondition': (c, s) => new SavedConditions(s.db).save(c),
  'compare.removeCondition': ({ name }, s) => {
    new SavedConditions(s.db).remove(name);
    return { removed: true as const };
  },
  'compare.previewCondition': ({ indexId, spec, documents }, s) => previewCondition(s.home, s.db, indexId, spec, documents),
};

export function readDiff(s: CoreServices, jobId: string): DiffResult {
  const job = s.jobStore.get(jobId);
  if (!job || job.kind !== COMPARE_DIFF_JOB_KIND) throw new WorkbenchError('DIFF_NOT_FOUND', `There is no condition diff job ${jobId}.`, 'Run a condition diff from the Compare page.');
  if (job.state !== 'completed') throw new WorkbenchError('DIFF_NOT_READY', `The condition diff ${jobId} is ${job.state}.`, job.state === 'failed' ? (job.error?.message ?? 'See its log in the Queue.') : 'Wait for it to finish.');
  const file = path.join(runDir(s.home, jobId), 'diff.json');
  if (!fs.existsSync(file)) throw new WorkbenchError('DIFF_MISSING', `The result file ${file} of diff ${jobId} is missing.`, 'Run the diff again.');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as DiffResult;
}
