/**
 * An index build from start (or resume) to ready: documents stream from the dataset, are
 * tokenized and cut into context windows, run through the model ONCE for every SAE's hook (the
 * forward stops at the deepest hook), encoded by each SAE, and written by one
 * FeatureIndexWriter per SAE. Memory stays bounded whatever the dataset size: a batch of
 * documents in flight, the accumulators, and the writers' uncommitted blocks.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { IndexBuildParams } from '../../preload/api';
import { readDocuments } from '../datasets/documentReader';
import { contextWindows, countedTokenCount, tokensHoldingCounted, type TokenizedDocument } from '../datasets/tokenWindows';
import { openDatabase, type Db } from '../db/connection';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { runModel, runSae } from '../engine/runner';
import { WorkbenchError } from '../errors';
import { loadModel } from '../formats/models/registry';
import { rowNorms } from '../formats/tensor';
import { loadSae } from '../formats/saeLoader';
import { CROSSCODER_WEIGHTS_FILE, crosscoderDecoderNorms, loadCrosscoder, type CrosscoderWeights } from '../formats/crosscoder';
import { crosscoderAsSae, pairRows } from '../engine/crosscoderSae';
import { decoderFigures } from '../compare/crosscoderAnalysis';
import { DEFAULT_CROSSCODER_BANDS } from '../../preload/api';
import { JobStopped } from '../jobs/kind';
import { identityLabel, saeLabelOfFolder } from '../library/identity';
import { identifyInput } from '../provenance/inputFiles';
import { loadTokenizer, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from '../tokenize/tokenizer';
import { CorpusStore, corpusFile, corpusId, type CorpusIdentity } from './corpusStore';
import { logitEffects, similarByDecoder } from './decoderGeometry';
import { finalizeIndex, NEIGHBOURS } from './finalizeIndex';
import { indexFile, indexFileBytes } from './indexDatabase';
import { sealIndex } from './indexRows';
import { IndexRegistry, newIndexId, type IndexProvenance, type IndexRecord } from './indexRegistry';
import { FeatureIndexWriter, type BuildCursor } from './indexWriter';
import { prepareIndexBuild } from './prepareIndexBuild';

const appVersion = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Tokens per model call group (whole documents; one long document may exceed it). */
const BATCH_TOKENS = 8192;
/** Windows per ORT call. */
const WINDOWS_PER_CALL = 32;
/** Commit at least this often (or every COMMIT_TOKENS tokens), at a document boundary. */
const COMMIT_MS = 3000;
const COMMIT_TOKENS = 1 << 15;
/** Latents read per token from non-TopK SAEs (TopK SAEs give exactly k). */
const DENSE_SAE_TOP = 256;
const LOGIT_EFFECTS = 10;

/** What the build needs from its runner (a job worker, or a test/bench calling it directly). */
export interface BuildHost {
  home: string;
  jobId: string | null;
  /** The state saved by an earlier attempt of this build (from `saveState`), or null. */
  resumeState: BuildState | null;
  saveState(state: BuildState): Promise<void>;
  progress(fraction: number | null, message: string, detail: IndexBuildProgress): void;
  log(level: 'info' | 'warn', message: string): void;
  /** Throws JobStopped when the user paused or cancelled. */
  throwIfStopped(): void;
}

export interface BuildState {
  indexIds: string[];
  corpusId: string;
  corpus: CorpusIdentity;
}

export interface IndexBuildProgress {
  tokens: number;
  documents: number;
  skippedRows: number;
  tokensPerSecond: number;
  phase: 'indexing' | 'finalizing';
}

/** Knobs for tests: smaller batches and a commit after every batch, and a look at each commit. */
export interface BuildTuning {
  batchTokens?: number;
  commitEveryBatch?: boolean;
  afterCommit?: (writers: FeatureIndexWriter[]) => void;
}

export interface IndexBuildResult {
  indexIds: string[];
  tokens: number;
  documents: number;
  skippedRows: number;
  tokensPerSecond: number;
  dbBytes: number;
}

/** The Library's display identities of the inputs (the same names every page shows). */
function labelsFor(modelName: string, modelPath: string, sae: { path: string; modelName: string | null }, datasetPath: string): IndexRecord['labels'] {
  return {
    model: identityLabel('model', modelPath, { configName: modelName }),
    sae: saeLabelOfFolder(sae.path),
    dataset: identityLabel('dataset', datasetPath),
  };
}

/** What a crosscoder index's pages show beside the SAE facts (index meta "crosscoder"). */
export interface CrosscoderIndexFacts {
  modelA: string;
  modelB: string;
  hookA: string;
  hookB: string;
  normA: number[];
  normB: number[];
  cosAb: (number | null)[];
}

function crosscoderFacts(cc: CrosscoderWeights): CrosscoderIndexFacts {
  const [a, b] = crosscoderDecoderNorms(cc);
  const figures = decoderFigures(cc.W_dec.data, cc.config.dSae, cc.config.dIn, DEFAULT_CROSSCODER_BANDS);
  return { modelA: cc.config.modelA, modelB: cc.config.modelB, hookA: cc.config.hookNameA, hookB: cc.config.hookNameB, normA: Array.from(a), normB: Array.from(b), cosAb: figures.map((f) => f.cosAb) };
}

/** The view's decoder [d_sae, 2d] as each model's [d_sae, d] rows (in that model's units). */
function decoderHalves(W: Float32Array, dSae: number, d: number): [Float32Array, Float32Array] {
  const a = new Float32Array(dSae * d);
  const b = new Float32Array(dSae * d);
  for (let j = 0; j < dSae; j++) {
    a.set(W.subarray(2 * j * d, (2 * j + 1) * d), j * d);
    b.set(W.subarray((2 * j + 1) * d, (2 * j + 2) * d), j * d);
  }
  return [a, b];
}

interface PendingDocument {
  /** What is indexed (cut at --max-tokens). */
  tokenized: TokenizedDocument;
  /** The whole document, for the shared corpus (other builds may index more of it). */
  allTokens: number[];
}

export async function buildIndexes(host: BuildHost, params: IndexBuildParams, tuning: BuildTuning = {}): Promise<IndexBuildResult> {
  const plan = await prepareIndexBuild(params);
  const modelPath = path.resolve(params.modelPath);
  const appDb = openDatabase(host.home);
  const registry = new IndexRegistry(appDb);
  const writers: FeatureIndexWriter[] = [];
  let corpus: CorpusStore | null = null;
  let state = host.resumeState;
  try {
    const weights = loadModel(modelPath);
    const mc = weights.config;
    const tokenizer = loadTokenizer(modelPath, { prependBos: plan.bos, bosTokenId: mc.bosTokenId, eosTokenId: mc.eosTokenId });
    // A crosscoder is indexed as the engine's SAE over [x_A | x_B] (crosscoderSae.ts).
    const crosscoder = plan.crosscoder ? loadCrosscoder(plan.crosscoder.path) : null;
    const weightsA = plan.crosscoder ? loadModel(plan.crosscoder.modelA.path) : null;
    const saes = crosscoder ? [crosscoderAsSae(crosscoder)] : plan.saes.map((s) => loadSae(s.path));
    const tokenizerFiles = [TOKENIZER_FILE, TOKENIZER_CONFIG_FILE].map((f) => path.join(modelPath, f)).filter((f) => existsSync(f));

    if (!state) {
      host.progress(null, 'hashing inputs', { tokens: 0, documents: 0, skippedRows: 0, tokensPerSecond: 0, phase: 'indexing' });
      const model = await identifyInput(modelPath, [path.join(modelPath, 'config.json'), ...plan.modelWeightFiles]);
      const dataset = await identifyInput(plan.dataset.path, plan.dataset.files.map((f) => f.file));
      const tokenizerId = await identifyInput(modelPath, tokenizerFiles);
      const corpusIdentity: CorpusIdentity = { tokenizerSha256: tokenizerId.sha256, datasetSha256: dataset.sha256, textColumn: plan.dataset.textColumn, bos: plan.bos };
      const cid = corpusId(corpusIdentity);
      const ids = plan.saes.map(() => newIndexId());
      for (let i = 0; i < plan.saes.length; i++) {
        const s = plan.saes[i];
        const sae = await identifyInput(s.path, [path.join(s.path, 'cfg.json'), path.join(s.path, crosscoder ? CROSSCODER_WEIGHTS_FILE : 'sae_weights.safetensors')]);
        const modelA = plan.crosscoder ? await identifyInput(plan.crosscoder.modelA.path, [path.join(plan.crosscoder.modelA.path, 'config.json'), ...plan.crosscoder.modelA.weightFiles]) : undefined;
        const provenance: IndexProvenance = { appVersion, model, sae, dataset, tokenizer: tokenizerId, textColumn: plan.dataset.textColumn, bos: plan.bos, contextSize: plan.contextSize, ...(modelA ? { modelA } : {}) };
        const labels = labelsFor(mc.name, modelPath, { path: s.path, modelName: s.config.modelName }, plan.dataset.path);
        const meta = { indexId: ids[i], params, provenance, hookName: s.config.hookName, contextSize: plan.contextSize, bos: plan.bos, corpusId: cid, labels, ...(crosscoder ? { crosscoder: crosscoderFacts(crosscoder) } : {}) };
        writers.push(FeatureIndexWriter.create(indexFile(host.home, ids[i]), { dSae: s.config.dSae, topN: params.topN }, meta));
        registry.insert({ id: ids[i], jobId: host.jobId, modelPath, saePath: s.path, datasetPath: plan.dataset.path, hookName: s.config.hookName, dSae: s.config.dSae, corpusId: cid, labels, params, provenance, createdAt: Date.now() });
      }
      state = { indexIds: ids, corpusId: cid, corpus: corpusIdentity };
      await host.saveState(state);
    } else {
      for (const id of state.indexIds) {
        writers.push(FeatureIndexWriter.resume(indexFile(host.home, id)));
        registry.markBuilding(id);
      }
    }
    corpus = CorpusStore.openForWriting(corpusFile(host.home, state.corpusId), state.corpus, tokenizer, mc.dVocab);

    // Every writer resumes from its own committed cursor; the stream starts at the earliest.
    const resumeFrom = writers.map((w) => w.committed.nextDocument);
    const lead = writers.reduce((a, w) => (w.committed.nextDocument < a.committed.nextDocument ? w : a), writers[0]);
    const cursor: BuildCursor = lead.committed;
    let tokens = lead.acc.tokens;
    if (resumeFrom.some((n) => n > 0)) host.log('info', `Resuming at document ${cursor.nextDocument} (${cursor.documents} documents, ${tokens} tokens already indexed).`);

    const started = Date.now();
    const tokensAtStart = tokens;
    let lastCommit = Date.now();
    const rate = () => (tokens - tokensAtStart) / Math.max(1e-3, (Date.now() - started) / 1000);
    const report = () => {
      const fractions = [params.maxTokens ? tokens / params.maxTokens : 0, params.maxDocuments ? cursor.documents / params.maxDocuments : 0, plan.dataset.rows ? cursor.nextDocument / plan.dataset.rows : 0];
      const known = params.maxTokens || params.maxDocuments || plan.dataset.rows;
      host.progress(known ? Math.min(0.99, Math.max(...fractions)) : null, `${tokens.toLocaleString('en-US')} tokens · ${Math.round(rate()).toLocaleString('en-US')} tok/s`, {
        tokens,
        documents: cursor.documents,
        skippedRows: cursor.skipped,
        tokensPerSecond: rate(),
        phase: 'indexing',
      });
    };

    const commit = () => {
      // A writer that was ahead after a crash commits again only once the stream has caught up.
      for (const w of writers) if (w.committed.nextDocument <= cursor.nextDocument) w.commit(cursor);
      lastCommit = Date.now();
      tuning.afterCommit?.(writers);
    };

    const encodeBatch = async (batch: PendingDocument[]) => {
      const windows = batch.flatMap((d) => contextWindows(d.tokenized, plan.contextSize));
      const run = await runModel(weights, windows.map((w) => w.tokens), plan.hooks, { device: params.device, batchSize: WINDOWS_PER_CALL });
      const rows = windows.reduce((n, w) => n + w.tokens.length, 0);
      const where = `the index batch from document ${batch[0].tokenized.document}`;
      requireFiniteOutputs(Object.fromEntries(plan.hooks.flatMap((h) => run.hooks[h].map((t, i) => [`${h} (window ${i})`, t]))), where);
      // Crosscoders: model A on the same windows; each row becomes [x_A | x_B].
      const runA = plan.crosscoder ? await runModel(weightsA!, windows.map((w) => w.tokens), [plan.crosscoder.config.hookNameA], { device: params.device, batchSize: WINDOWS_PER_CALL }) : null;
      if (runA) requireFiniteOutputs(Object.fromEntries(runA.hooks[plan.crosscoder!.config.hookNameA].map((t, i) => [`model A (window ${i})`, t])), where);
      for (let s = 0; s < saes.length; s++) {
        const sae = saes[s];
        const acts = run.hooks[sae.config.hookName];
        const x = new Float32Array(rows * sae.config.dIn);
        if (runA) {
          const actsA = runA.hooks[plan.crosscoder!.config.hookNameA];
          let row = 0;
          acts.forEach((t, i) => {
            const n = t.data.length / (sae.config.dIn / 2);
            x.set(pairRows(actsA[i].data, t.data, sae.config.dIn / 2), row * sae.config.dIn);
            row += n;
          });
        } else {
          let off = 0;
          for (const t of acts) {
            x.set(t.data, off);
            off += t.data.length;
          }
        }
        const encoded = await runSae(sae, { data: x, shape: [rows, sae.config.dIn] }, ['feature_indices', 'feature_values'], { device: params.device, sparseK: Math.min(sae.config.dSae, DENSE_SAE_TOP) });
        requireFiniteOutputs({ feature_values: encoded.outputs.feature_values }, `${where}, SAE ${sae.config.hookName}`);
        const sparse = { ids: encoded.outputs.feature_indices!.data as BigInt64Array, values: encoded.outputs.feature_values!.data as Float32Array, width: encoded.outputs.feature_values!.shape[1] };
        let row = 0;
        for (const w of windows) {
          if (w.document >= resumeFrom[s]) writers[s].addWindow(w.document, w.start, w.tokens.length, sparse, row, plan.bos);
          row += w.tokens.length;
        }
      }
      corpus!.putDocuments(batch.map((d) => ({ document: d.tokenized.document, tokens: d.allTokens })));
    };

    let batch: PendingDocument[] = [];
    let batchTokens = 0;
    // Every row before nextDocument is either indexed or skipped, so skipped rows need no count of their own.
    const settle = () => (cursor.skipped = cursor.nextDocument - cursor.documents);
    const flush = async () => {
      if (batch.length === 0) return;
      await encodeBatch(batch);
      cursor.nextDocument = batch[batch.length - 1].tokenized.document + 1;
      settle();
      batch = [];
      batchTokens = 0;
      const pending = Math.max(...writers.map((w) => w.uncommittedTokens));
      if (tuning.commitEveryBatch || Date.now() - lastCommit > COMMIT_MS || pending > COMMIT_TOKENS) commit();
      report();
      try {
        host.throwIfStopped();
      } catch (stop) {
        // Pausing keeps everything done so far: commit before stopping.
        commit();
        throw stop;
      }
    };

    const limitReached = () => (params.maxDocuments !== undefined && cursor.documents >= params.maxDocuments) || (params.maxTokens !== undefined && tokens >= params.maxTokens);
    const bosTokens = plan.bos ? 1 : 0;
    let lastRow = cursor.nextDocument - 1;
    let exhausted = true;
    for await (const doc of readDocuments(plan.dataset, { startDocument: cursor.nextDocument, onSkip: (s) => (lastRow = Math.max(lastRow, s.document)) })) {
      if (limitReached()) {
        exhausted = false;
        break;
      }
      lastRow = doc.document;
      const allTokens = tokenizer.encode(doc.text, { prependBos: plan.bos });
      const ids = params.maxTokens !== undefined ? allTokens.slice(0, tokensHoldingCounted(params.maxTokens - tokens, plan.bos, plan.contextSize)) : allTokens;
      // Text that tokenizes to nothing (only BOS) is a row without tokens: it counts as skipped.
      if (ids.length <= bosTokens) continue;
      // The denominator of every density: the positions that count (tokenWindows), as the writers count them.
      tokens += countedTokenCount(ids.length, plan.bos, plan.contextSize);
      cursor.documents++;
      batch.push({ tokenized: { document: doc.document, tokens: ids, bos: plan.bos }, allTokens });
      batchTokens += ids.length;
      if (batchTokens >= (tuning.batchTokens ?? BATCH_TOKENS)) await flush();
    }
    await flush();
    // A dataset read to its end has consumed its trailing skipped rows too.
    if (exhausted) cursor.nextDocument = Math.max(cursor.nextDocument, lastRow + 1);
    settle();
    commit();
    if (cursor.documents === 0) throw new WorkbenchError('INDEX_NO_DOCUMENTS', `No document of ${plan.dataset.path} produced tokens.`, 'Check the text column and the dataset rows.');

    // Finalize: decoder geometry with ORT, then one pass over each sparse store.
    for (let s = 0; s < saes.length; s++) {
      const sae = saes[s];
      const c = sae.config;
      host.progress(0.99, `finalizing ${c.hookName}: neighbours, logit effects, histograms, correlations`, { tokens, documents: cursor.documents, skippedRows: cursor.skipped, tokensPerSecond: rate(), phase: 'finalizing' });
      const similar = await similarByDecoder(sae.W_dec.data, c.dSae, c.dIn, NEIGHBOURS, params.device);
      // A crosscoder's logit effects: model B's decoder through B's unembedding, model A's through A's.
      const halves = crosscoder ? decoderHalves(sae.W_dec.data, c.dSae, c.dIn / 2) : null;
      const logits = await logitEffects(halves ? halves[1] : sae.W_dec.data, c.dSae, halves ? c.dIn / 2 : c.dIn, weights.W_U.data, mc.dVocab, LOGIT_EFFECTS, params.device);
      const otherLogits = halves ? await logitEffects(halves[0], c.dSae, c.dIn / 2, weightsA!.W_U.data, weightsA!.config.dVocab, LOGIT_EFFECTS, params.device) : null;
      finalizeIndex(writers[s].db, { acc: writers[s].acc, dSae: c.dSae, seed: params.seed, decoderNorms: rowNorms(sae.W_dec.data, c.dSae, c.dIn), similar, logits, otherLogits, corpus });
    }
    const elapsed = Math.max(1e-3, (Date.now() - started) / 1000);
    const tokensPerSecond = (tokens - tokensAtStart) / elapsed;
    let dbBytes = 0;
    for (let s = 0; s < writers.length; s++) {
      // The file alone now says what it holds and carries the checksums every read compares.
      sealIndex(writers[s].db, saes[s].config.dSae, { tokens, documents: cursor.documents, skippedRows: cursor.skipped, tokensPerSecond });
      writers[s].db.pragma('wal_checkpoint(TRUNCATE)');
      const bytes = indexFileBytes(indexFile(host.home, state.indexIds[s]));
      dbBytes += bytes;
      registry.markReady(state.indexIds[s], { tokens, documents: cursor.documents, skippedRows: cursor.skipped, dbBytes: bytes, tokensPerSecond });
    }
    host.log('info', `Indexed ${tokens} tokens of ${cursor.documents} documents (${cursor.skipped} rows skipped) into ${state.indexIds.join(', ')}.`);
    return { indexIds: state.indexIds, tokens, documents: cursor.documents, skippedRows: cursor.skipped, tokensPerSecond, dbBytes };
  } catch (err) {
    if (state && !(err instanceof JobStopped && err.reason === 'pause')) {
      const error = err instanceof JobStopped ? { code: 'CANCELLED', message: 'The build was cancelled.', hint: 'Retry the job to continue it, or remove the index.' } : errorShape(err);
      for (const id of state.indexIds) registry.markFailed(id, error);
    }
    throw err;
  } finally {
    for (const w of writers) w.close();
    corpus?.close();
    closeQuietly(appDb);
  }
}

function errorShape(err: unknown): { code: string; message: string; hint?: string } {
  if (err instanceof WorkbenchError) return err.toJSON();
  return { code: 'INTERNAL', message: (err as Error)?.message ?? String(err) };
}

function closeQuietly(db: Db): void {
  try {
    db.close();
  } catch {
    // already closed
  }
}
