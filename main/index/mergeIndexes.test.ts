import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexBuildParams } from '../../preload/api';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { openDatabase } from '../db/connection';
import { prepareHome } from '../home';
import { sharedDemoBundle } from '../testing/sharedDemoBundle';
import { makeTempDir } from '../testing/tempDirs';
import { asyncErrorOf } from '../testing/workbenchErrors';
import { buildIndexes, shardRows, type BuildHost } from './buildIndex';
import { corpusFile, CorpusStore } from './corpusStore';
import { IndexRegistry } from './indexRegistry';
import { mergeIndexShards } from './mergeIndexes';
import { indexTables } from './testing/indexTables';

const tmp = makeTempDir('index-shards');
afterAll(() => tmp.cleanup());
let demo: DemoBundlePaths;
let dataset: string;

beforeAll(() => {
  demo = sharedDemoBundle();
  // 60 documents with blank rows among them, one on a shard boundary: skipped rows are counted across shards too.
  const lines = fs.readFileSync(demo.dataset, 'utf8').split('\n').slice(0, 60);
  lines.splice(21, 0, '');
  lines.splice(40, 0, '', '');
  dataset = path.join(tmp.dir, 'docs.jsonl');
  fs.writeFileSync(dataset, `${lines.join('\n')}\n`);
});

function home(label: string): string {
  const h = path.join(tmp.dir, label);
  prepareHome(h);
  openDatabase(h).close();
  return h;
}

function host(h: string): BuildHost {
  return { home: h, jobId: null, resumeState: null, saveState: async () => {}, progress: () => {}, log: () => {}, throwIfStopped: () => {} };
}

const params = (over: Partial<IndexBuildParams> = {}): IndexBuildParams => ({
  modelPath: demo.models.adhd,
  saePaths: [demo.saes.adhd],
  datasetPath: dataset,
  topN: 20,
  contextBefore: 10,
  contextAfter: 5,
  seed: 3,
  device: 'cpu',
  contextSize: 16,
  ...over,
});

const tablesOf = indexTables;

describe('sharded index builds', () => {
  it('three shards joined give the tables of the unsharded build, and the same counts', async () => {
    const whole = home('whole');
    const unsharded = await buildIndexes(host(whole), params());
    expect(unsharded.skippedRows).toBe(3);

    // Each shard in its own data directory, as the tasks of a Slurm array build them.
    const shardHomes = [0, 1, 2].map((i) => home(`shard-${i}`));
    for (const [i, h] of shardHomes.entries()) await buildIndexes(host(h), params({ shard: { index: i, count: 3 } }));
    const joined = home('joined');
    const merged = await mergeIndexShards(host(joined), { build: params({ shards: 3 }), shardHomes });
    expect({ tokens: merged.tokens, documents: merged.documents, skippedRows: merged.skippedRows }).toEqual({ tokens: unsharded.tokens, documents: unsharded.documents, skippedRows: unsharded.skippedRows });
    const a = tablesOf(whole, unsharded.indexIds[0]);
    const b = tablesOf(joined, merged.indexIds[0]);
    expect(a.blocks.length).toBeGreaterThan(0);
    for (const t of Object.keys(a)) expect(b[t], `table ${t}`).toEqual(a[t]);
    // The corpus (token ids per document) is the same, and the registry lists the joined indexes ready.
    const ca = CorpusStore.openForReading(corpusFile(whole, new IndexRegistry(openDatabase(whole)).list()[0].corpusId));
    const cb = CorpusStore.openForReading(corpusFile(joined, new IndexRegistry(openDatabase(joined)).list()[0].corpusId));
    expect([...cb.documents()].map((d) => [d.document, [...d.tokens]])).toEqual([...ca.documents()].map((d) => [d.document, [...d.tokens]]));
    expect(new IndexRegistry(openDatabase(joined)).list().map((r) => r.state)).toEqual(['ready']);
  });

  it('a sharded build on this machine (shards one after another, then the join) equals the unsharded build', async () => {
    const whole = home('whole2');
    const a = await buildIndexes(host(whole), params({ saePaths: [demo.saes.adhd] }));
    const sharded = home('sharded');
    const b = await buildIndexes(host(sharded), params({ saePaths: [demo.saes.adhd], shards: 4 }));
    expect(tablesOf(sharded, b.indexIds[0])).toEqual(tablesOf(whole, a.indexIds[0]));
    // The shards' own files are gone once joined; only the joined index is registered.
    expect(fs.existsSync(path.join(sharded, 'index', 'shards'))).toBe(false);
    expect(new IndexRegistry(openDatabase(sharded)).list().map((r) => r.id)).toEqual([b.indexIds[0]]);
  });

  it('splits rows evenly in order, the last shard to the end; refuses shards with limits, and a missing or foreign shard', async () => {
    expect([0, 1, 2].map((i) => shardRows({ index: i, count: 3 }, 10, 'd'))).toEqual([{ from: 0, to: 3 }, { from: 3, to: 6 }, { from: 6, to: Infinity }]);
    expect(() => shardRows({ index: 0, count: 2 }, null, 'd.txt')).toThrow(/cannot be split into shards/);
    const { IndexBuildParamsSchema } = await import('../../preload/api');
    expect(IndexBuildParamsSchema.safeParse({ ...params(), shards: 2, maxDocuments: 10 }).error?.issues[0].message).toMatch(/leave out maxTokens and maxDocuments/);
    const a = home('lone-0');
    await buildIndexes(host(a), params({ saePaths: [demo.saes.adhd], shard: { index: 0, count: 2 } }));
    const err = await asyncErrorOf(() => mergeIndexShards(host(home('lone-join')), { build: params({ saePaths: [demo.saes.adhd], shards: 2 }), shardHomes: [a, path.join(tmp.dir, 'nowhere')] }));
    expect(err.code).toBe('INDEX_SHARD_MISSING');
    const other = home('other-1');
    await buildIndexes(host(other), params({ saePaths: [demo.saes.adhd], shard: { index: 1, count: 2 }, topN: 5 }));
    const mismatch = await asyncErrorOf(() => mergeIndexShards(host(home('mismatch-join')), { build: params({ saePaths: [demo.saes.adhd], shards: 2 }), shardHomes: [a, other] }));
    expect(mismatch.code).toBe('INDEX_SHARD_MISMATCH');
  });
});
