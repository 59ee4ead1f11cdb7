/**
 * Sharded index builds: the dataset's rows split into contiguous shards, each indexed on its own
 * (a Slurm array task each, or one after another here), then joined into one index whose tables
 * are those of an unsharded build. The join does not add up partial statistics (float sums taken
 * in another order would differ in their last bits): it copies the shards' sparse blocks in
 * document order and feeds every latent to the accumulators exactly as the unsharded build does,
 * then finalizes as a build does (finishIndexes). Top examples, histograms, interval samples and
 * correlations all come out equal.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IndexBuildParams, IndexMergeParams } from '../../preload/api';
import { openDatabase } from '../db/connection';
import { WorkbenchError } from '../errors';
import { loadModel } from '../formats/models/registry';
import { loadSae } from '../formats/saeLoader';
import { prepareHome } from '../home';
import { identifyInput } from '../provenance/inputFiles';
import { loadTokenizer, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from '../tokenize/tokenizer';
import { buildIndexes, finishIndexes, shardRows, type BuildHost, type BuildState, type BuildTuning, type IndexBuildResult } from './buildIndex';
import { corpusFile, corpusId, CorpusStore, type CorpusIdentity } from './corpusStore';
import { indexFile, openIndexDb, readMeta } from './indexDatabase';
import { IndexRegistry, newIndexId, type IndexRecord } from './indexRegistry';
import { FeatureIndexWriter, type BuildCursor } from './indexWriter';
import { prepareIndexBuild } from './prepareIndexBuild';
import { decodeBlock, type BlockRow } from './sparseBlocks';

/** Blocks copied between commits while joining shards (bounds the memory of a join). */
const MERGE_COMMIT_BLOCKS = 4096;

/** The build's params without what says how it was split: what every shard must share. */
function sharedParams(p: IndexBuildParams): string {
  const { shard: _shard, shards: _shards, ...rest } = p;
  return JSON.stringify({ ...rest, modelPath: path.resolve(rest.modelPath), saePaths: rest.saePaths.map((s) => path.resolve(s)), datasetPath: path.resolve(rest.datasetPath) });
}

interface ShardIndex {
  home: string;
  record: IndexRecord;
  file: string;
  cursor: BuildCursor;
  tokensPerSecond: number;
  tokens: number;
}

/** Shard `i`'s finished index of each SAE of the build, checked to be that shard of this build. */
function shardIndexes(shardHome: string, i: number, count: number, build: IndexBuildParams, saePaths: string[]): ShardIndex[] {
  if (!fs.existsSync(path.join(shardHome, 'workbench.sqlite'))) throw new WorkbenchError('INDEX_SHARD_MISSING', `Shard ${i} of the build has no data directory at ${shardHome}.`, 'Build every shard first (index.build with shard {index, count}), then merge.');
  const db = openDatabase(shardHome);
  try {
    const records = new IndexRegistry(db).list();
    return saePaths.map((sae) => {
      const rec = records.find((r) => path.resolve(r.saePath) === sae && r.state === 'ready' && r.params.shard?.index === i && r.params.shard.count === count);
      if (!rec) throw new WorkbenchError('INDEX_SHARD_MISSING', `${shardHome} holds no finished index of shard ${i} of ${count} for the SAE ${sae}.`, 'Build that shard (it may have failed or still run), then merge again.');
      if (sharedParams(rec.params) !== sharedParams(build)) throw new WorkbenchError('INDEX_SHARD_MISMATCH', `Shard ${i} in ${shardHome} was built with other parameters than this build.`, 'Build every shard with the same parameters, then merge.');
      const file = indexFile(shardHome, rec.id);
      const idx = openIndexDb(file, { readonly: true });
      try {
        const row = idx.prepare('SELECT next_document, documents, skipped FROM build_state WHERE id = 1').get() as { next_document: number; documents: number; skipped: number };
        return { home: shardHome, record: rec, file, cursor: { nextDocument: row.next_document, documents: row.documents, skipped: row.skipped }, tokensPerSecond: rec.summary?.tokensPerSecond ?? 0, tokens: rec.summary?.tokens ?? 0 };
      } finally {
        idx.close();
      }
    });
  } finally {
    db.close();
  }
}

/** Join the shards of `params.build` (built in params.shardHomes, shard 0 first) into one index per SAE in host.home. */
export async function mergeIndexShards(host: BuildHost, params: IndexMergeParams): Promise<IndexBuildResult> {
  const build = params.build;
  const count = params.shardHomes.length;
  if (build.shards !== undefined && build.shards !== count) throw new WorkbenchError('INDEX_SHARD_MISMATCH', `The build has ${build.shards} shards but ${count} shard folders were given.`, 'Give one data directory per shard, in shard order.');
  const plan = await prepareIndexBuild(build);
  refuseCrosscoderShards(plan);
  const modelPath = path.resolve(build.modelPath);
  const saePaths = plan.saes.map((s) => s.path);
  const shards = params.shardHomes.map((home, i) => shardIndexes(path.resolve(home), i, count, build, saePaths));
  // The shards must tile the rows: each ends where the next begins.
  for (let i = 0; i + 1 < count; i++) {
    const next = shardRows({ index: i + 1, count }, plan.dataset.rows, plan.dataset.path).from;
    if (shards[i][0].cursor.nextDocument !== next) throw new WorkbenchError('INDEX_SHARD_MISMATCH', `Shard ${i} ends at row ${shards[i][0].cursor.nextDocument}, but shard ${i + 1} begins at row ${next}: the dataset changed between them.`, 'Build the shards again on the same dataset.');
  }
  const corpusIds = new Set(shards.flat().map((s) => s.record.corpusId));
  if (corpusIds.size !== 1) throw new WorkbenchError('INDEX_SHARD_MISMATCH', 'The shards were tokenized from different inputs (their corpora differ).', 'Build the shards again with the same model and dataset.');

  const weights = loadModel(modelPath);
  const mc = weights.config;
  const tokenizer = loadTokenizer(modelPath, { prependBos: plan.bos, bosTokenId: mc.bosTokenId, eosTokenId: mc.eosTokenId });
  const saes = plan.saes.map((s) => loadSae(s.path));
  const tokenizerFiles = [TOKENIZER_FILE, TOKENIZER_CONFIG_FILE].map((f) => path.join(modelPath, f)).filter((f) => fs.existsSync(f));
  const dataset = await identifyInput(plan.dataset.path, plan.dataset.files.map((f) => f.file));
  const tokenizerId = await identifyInput(modelPath, tokenizerFiles);
  const identity: CorpusIdentity = { tokenizerSha256: tokenizerId.sha256, datasetSha256: dataset.sha256, textColumn: plan.dataset.textColumn, bos: plan.bos };
  const cid = corpusId(identity);
  if (!corpusIds.has(cid)) throw new WorkbenchError('INDEX_SHARD_MISMATCH', `The shards were built from other inputs than ${plan.dataset.path} with this model's tokenizer now has.`, 'The dataset or tokenizer changed since: build the shards again.');

  const appDb = openDatabase(host.home);
  const registry = new IndexRegistry(appDb);
  const writers: FeatureIndexWriter[] = [];
  const ids = saes.map(() => newIndexId());
  let corpus: CorpusStore | null = null;
  try {
    corpus = CorpusStore.openForWriting(corpusFile(host.home, cid), identity, tokenizer, mc.dVocab);
    for (const [i, shard] of shards.entries()) {
      host.progress((0.5 * i) / count, `copying the tokens of shard ${i + 1} of ${count}`, { tokens: 0, documents: 0, skippedRows: 0, tokensPerSecond: 0, phase: 'indexing' });
      const from = CorpusStore.openForReading(corpusFile(shard[0].home, cid));
      try {
        let batch: { document: number; tokens: number[] }[] = [];
        for (const d of from.documents()) {
          batch.push({ document: d.document, tokens: Array.from(d.tokens) });
          if (batch.length >= 512) {
            corpus.putDocuments(batch);
            batch = [];
          }
        }
        corpus.putDocuments(batch);
      } finally {
        from.close();
      }
    }

    let totals = { tokens: 0, documents: 0, skippedRows: 0, seconds: 0 };
    for (let s = 0; s < saes.length; s++) {
      const c = saes[s].config;
      const first = openIndexDb(shards[0][s].file, { readonly: true });
      let meta: Record<string, unknown>;
      try {
        meta = Object.fromEntries(['provenance', 'hookName', 'contextSize', 'bos', 'corpusId', 'labels'].map((k) => [k, readMeta(first, k)]));
      } finally {
        first.close();
      }
      const writer = FeatureIndexWriter.create(indexFile(host.home, ids[s]), { dSae: c.dSae, topN: build.topN }, { ...meta, indexId: ids[s], params: build });
      writers.push(writer);
      const rec = shards[0][s].record;
      registry.insert({ id: ids[s], jobId: host.jobId, modelPath, saePath: plan.saes[s].path, datasetPath: plan.dataset.path, hookName: c.hookName, dSae: c.dSae, corpusId: cid, labels: rec.labels, params: build, provenance: rec.provenance, createdAt: Date.now() });
      const cursor: BuildCursor = { nextDocument: 0, documents: 0, skipped: 0 };
      let seconds = 0;
      for (const [i, shard] of shards.entries()) {
        const part = shard[s];
        host.progress(0.5 + (0.45 * (s * count + i)) / (saes.length * count), `joining shard ${i + 1} of ${count} for ${c.hookName}`, { tokens: writer.acc.tokens, documents: cursor.documents, skippedRows: cursor.skipped, tokensPerSecond: 0, phase: 'indexing' });
        const db = openIndexDb(part.file, { readonly: true });
        try {
          let n = 0;
          for (const row of db.prepare('SELECT document, start, counts, features, vals, crc FROM blocks ORDER BY id').iterate() as Iterable<BlockRow>) {
            writer.addBlock(decodeBlock(row, c.dSae, true), plan.bos);
            if (++n % MERGE_COMMIT_BLOCKS === 0) {
              writer.commit(cursor);
              host.throwIfStopped();
            }
          }
        } finally {
          db.close();
        }
        cursor.nextDocument = part.cursor.nextDocument;
        cursor.documents += part.cursor.documents;
        cursor.skipped += part.cursor.skipped;
        writer.commit(cursor);
        seconds += part.tokensPerSecond > 0 ? part.tokens / part.tokensPerSecond : 0;
      }
      totals = { tokens: writer.acc.tokens, documents: cursor.documents, skippedRows: cursor.skipped, seconds };
    }
    // The shards' own throughput (their tokens over the time they took, added up), not the join's.
    const summary = { tokens: totals.tokens, documents: totals.documents, skippedRows: totals.skippedRows, tokensPerSecond: totals.seconds > 0 ? totals.tokens / totals.seconds : 0 };
    const dbBytes = await finishIndexes({ host, params: build, weights, saes, writers, indexIds: ids, registry, corpus, summary });
    host.log('info', `Joined ${count} shards: ${summary.tokens} tokens of ${summary.documents} documents (${summary.skippedRows} rows skipped) into ${ids.join(', ')}.`);
    return { indexIds: ids, tokens: summary.tokens, documents: summary.documents, skippedRows: summary.skippedRows, tokensPerSecond: summary.tokensPerSecond, dbBytes };
  } catch (err) {
    for (const id of ids) {
      try {
        registry.markFailed(id, err instanceof WorkbenchError ? err.toJSON() : { code: 'INTERNAL', message: String((err as Error)?.message ?? err) });
      } catch {
        // not inserted yet
      }
    }
    throw err;
  } finally {
    for (const w of writers) w.close();
    corpus?.close();
    appDb.close();
  }
}

/** Where a build's shards live while it runs here: under the home's index folder, removed after the join. */
function shardRoot(home: string, jobId: string | null): string {
  return path.join(home, 'index', 'shards', jobId ?? 'build');
}

interface ShardedState {
  shardStates: (BuildState | null)[];
}

/** A sharded build on this machine: each shard in turn (each resumable), then the join. */
/** Shards join SAE indexes; a crosscoder index (two models per window) is built whole. */
function refuseCrosscoderShards(plan: Awaited<ReturnType<typeof prepareIndexBuild>>): void {
  if (plan.crosscoder) {
    throw new WorkbenchError('INDEX_SHARDS_CROSSCODER', `${plan.crosscoder.path} is a crosscoder: its index cannot be built in shards yet.`, 'Build it without --shards (it still runs on a cluster with --on).');
  }
}

export async function buildSharded(host: BuildHost, params: IndexBuildParams, tuning: BuildTuning = {}): Promise<IndexBuildResult> {
  refuseCrosscoderShards(await prepareIndexBuild({ ...params, shards: undefined }));
  const count = params.shards!;
  const root = shardRoot(host.home, host.jobId);
  const state: ShardedState = (host.resumeState as unknown as ShardedState | null) ?? { shardStates: Array.from({ length: count }, () => null) };
  const homes: string[] = [];
  for (let i = 0; i < count; i++) {
    const home = path.join(root, String(i));
    homes.push(home);
    prepareHome(home);
    const db = openDatabase(home);
    const done = new IndexRegistry(db).list().some((r) => r.state === 'ready' && r.params.shard?.index === i);
    db.close();
    if (done) continue;
    await buildIndexes(
      {
        home,
        jobId: null,
        resumeState: state.shardStates[i],
        saveState: async (s) => {
          state.shardStates[i] = s;
          await host.saveState(state as unknown as BuildState);
        },
        progress: (fraction, message, detail) => host.progress(((i + (fraction ?? 0)) / count) * 0.9, `shard ${i + 1} of ${count}: ${message}`, detail),
        log: (level, message) => host.log(level, `shard ${i + 1} of ${count}: ${message}`),
        throwIfStopped: () => host.throwIfStopped(),
      },
      { ...params, shards: undefined, shard: { index: i, count } },
      tuning,
    );
  }
  const result = await mergeIndexShards(host, { build: params, shardHomes: homes });
  fs.rmSync(root, { recursive: true, force: true });
  // The shards' parent folder goes too once no other build's shards are in it.
  if (fs.readdirSync(path.dirname(root)).length === 0) fs.rmdirSync(path.dirname(root));
  return result;
}
