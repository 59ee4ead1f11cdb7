/**
 * Feature index benchmarks, printed as ratios where a floor exists:
 *  (i)   the whole index.build on a 23M-parameter GPT-2-shaped model (8 x 512, stops at layer 2)
 *        with a TopK SAE (d_sae 4096, k 40) vs the same tokenization + model forward + SAE encode
 *        with no index writes (target <= 1.25x);
 *  (ii)  bytes per indexed token and per fired latent;
 *  (iii) peak RSS of a build at two dataset sizes (it must not grow with tokens);
 *  (iv)  a synthetic 1M-token index (d_sae 4096, k 40): a feature's full page, p50/p95 (target p95 < 50 ms).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IndexBuildParams } from '../preload/api';
import { ensureDemoBundle } from '../main/demo/demoBundle';
import { openDatabase } from '../main/db/connection';
import { readDocuments } from '../main/datasets/documentReader';
import { contextWindows } from '../main/datasets/tokenWindows';
import type { DeviceChoice } from '../main/engine/executionProviders';
import { randomSae, randomTransformer } from '../main/engine/randomWeights';
import { runModel, runSae } from '../main/engine/runner';
import { releaseSessions } from '../main/engine/session';
import { writeGpt2Directory } from '../main/formats/models/gpt2Writer';
import { loadModel } from '../main/formats/models/registry';
import { loadSae } from '../main/formats/saeLoader';
import { v6TopkCfg, writeSaeDir } from '../main/formats/testing/saeFixture';
import { prepareHome } from '../main/home';
import { buildIndexes, type BuildHost } from '../main/index/buildIndex';
import { CorpusStore, corpusFile } from '../main/index/corpusStore';
import { similarByDecoder } from '../main/index/decoderGeometry';
import { rowNorms } from '../main/formats/tensor';
import { finalizeIndex } from '../main/index/finalizeIndex';
import { indexFile, indexFileBytes, openIndexDb } from '../main/index/indexDatabase';
import { FeatureIndexReader } from '../main/index/indexReader';
import { IndexRegistry } from '../main/index/indexRegistry';
import { FeatureIndexWriter } from '../main/index/indexWriter';
import { prepareIndexBuild } from '../main/index/prepareIndexBuild';
import { SeededRandom, weightedSampler } from '../main/random/seededRandom';
import { loadTokenizer } from '../main/tokenize/tokenizer';

const D_MODEL = 512;
const D_SAE = 4096;
const K = 40;
const HOOK = 'blocks.2.hook_resid_post';

interface Fixture {
  home: string;
  params: IndexBuildParams;
}

/** A random 8 x 512 GPT-2 (23M parameters) with the demo tokenizer, a random TopK SAE at layer 2, the demo dataset. */
function fixture(root: string, device: DeviceChoice, maxTokens: number): Fixture {
  const demo = ensureDemoBundle(path.join(root, 'demo-home'));
  const vocab = JSON.parse(fs.readFileSync(demo.tokenizer, 'utf8')).model.vocab;
  const dVocab = Object.keys(vocab).length;
  const modelDir = path.join(root, 'model');
  if (!fs.existsSync(path.join(modelDir, 'model.safetensors'))) {
    const weights = randomTransformer({ nLayers: 8, dModel: D_MODEL, nHeads: 8, dMlp: 4 * D_MODEL, dVocab, nCtx: 128, seed: 11 });
    // GPT2LMHeadModel has no output bias.
    weights.b_U.data.fill(0);
    writeGpt2Directory(modelDir, weights);
    fs.copyFileSync(demo.tokenizer, path.join(modelDir, 'tokenizer.json'));
    fs.copyFileSync(path.join(demo.root, 'tokenizer_config.json'), path.join(modelDir, 'tokenizer_config.json'));
  }
  const saeDir = path.join(root, 'sae');
  if (!fs.existsSync(path.join(saeDir, 'cfg.json'))) {
    const sae = randomSae({ dIn: D_MODEL, dSae: D_SAE, k: K, hookName: HOOK, seed: 5 });
    const cfg = v6TopkCfg(D_MODEL, D_SAE, K) as { metadata: Record<string, unknown> };
    cfg.metadata.hook_name = HOOK;
    cfg.metadata.model_name = null;
    cfg.metadata.context_size = 128;
    writeSaeDir(saeDir, cfg, {
      W_enc: { dtype: 'F32', shape: [D_MODEL, D_SAE], data: sae.W_enc.data },
      W_dec: { dtype: 'F32', shape: [D_SAE, D_MODEL], data: sae.W_dec.data },
      b_enc: { dtype: 'F32', shape: [D_SAE], data: sae.b_enc.data },
      b_dec: { dtype: 'F32', shape: [D_MODEL], data: sae.b_dec.data },
    });
  }
  const home = path.join(root, `home-${maxTokens}-${Date.now()}`);
  prepareHome(home);
  openDatabase(home).close();
  return { home, params: { modelPath: modelDir, saePaths: [saeDir], datasetPath: demo.dataset, maxTokens, topN: 20, contextBefore: 10, contextAfter: 5, seed: 0, device } };
}

/** Bytes of the sparse store's blobs, and how many latents they hold. */
function storeBytes(home: string, id: string): { bytes: number; latents: number } {
  const db = openIndexDb(indexFile(home, id), { readonly: true });
  const row = db.prepare('SELECT sum(length(counts) + length(features) + length(vals)) AS bytes, sum(length(vals)) / 4 AS latents FROM blocks').get() as { bytes: number; latents: number };
  db.close();
  return row;
}

const quietHost = (home: string): BuildHost => ({ home, jobId: null, resumeState: null, saveState: async () => {}, progress: () => {}, log: () => {}, throwIfStopped: () => {} });

/** The floor: the same documents, tokens and windows through the model and the SAE, nothing kept. */
async function forwardAndEncodeOnly(params: IndexBuildParams): Promise<{ ms: number; tokens: number }> {
  const plan = await prepareIndexBuild(params);
  const t0 = performance.now();
  const model = loadModel(params.modelPath);
  const sae = loadSae(params.saePaths[0]);
  const tokenizer = loadTokenizer(params.modelPath, { prependBos: plan.bos, bosTokenId: model.config.bosTokenId });
  let tokens = 0;
  let batch: number[][] = [];
  let batchTokens = 0;
  const run = async () => {
    if (batch.length === 0) return;
    const out = await runModel(model, batch, [HOOK], { device: params.device, batchSize: 32 });
    const rows = out.hooks[HOOK].reduce((n, t) => n + t.shape[0], 0);
    const x = new Float32Array(rows * D_MODEL);
    let off = 0;
    for (const t of out.hooks[HOOK]) {
      x.set(t.data, off);
      off += t.data.length;
    }
    await runSae(sae, { data: x, shape: [rows, D_MODEL] }, ['feature_indices', 'feature_values'], { device: params.device });
    batch = [];
    batchTokens = 0;
  };
  for await (const doc of readDocuments(plan.dataset)) {
    if (tokens >= params.maxTokens!) break;
    let ids = tokenizer.encode(doc.text, { prependBos: plan.bos });
    ids = ids.slice(0, 1 + params.maxTokens! - tokens);
    tokens += ids.length - 1;
    for (const w of contextWindows({ document: doc.document, tokens: ids, bos: plan.bos }, plan.contextSize)) batch.push(w.tokens);
    batchTokens += ids.length;
    if (batchTokens >= 8192) await run();
  }
  await run();
  return { ms: performance.now() - t0, tokens };
}

/** Peak RSS (VmHWM) of a build in a fresh process, in MiB. */
function childPeakRss(root: string, device: DeviceChoice, maxTokens: number): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child-build', String(maxTokens), '--root', root, '--device', device], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return Number(/peak_rss_mib=(\d+(\.\d+)?)/.exec(out)![1]);
}

function peakRssMiB(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** A 1M-token index of a power-law SAE written directly (no model): the feature page's worst case. */
async function syntheticIndex(root: string, device: DeviceChoice, tokens: number): Promise<{ reader: FeatureIndexReader; buildMs: number; bytes: number }> {
  const demo = ensureDemoBundle(path.join(root, 'demo-home'));
  const home = path.join(root, `synthetic-${tokens}-${Date.now()}`);
  prepareHome(home);
  const db = openDatabase(home);
  const id = 'ix-synthetic';
  const corpusId = 'c-synthetic';
  const tokenizer = loadTokenizer(demo.models.adhd);
  const rng = new SeededRandom(9);
  const t0 = performance.now();
  const writer = FeatureIndexWriter.create(indexFile(home, id), { dSae: D_SAE, topN: 20 }, { contextSize: 128 });
  const corpus = CorpusStore.openForWriting(corpusFile(home, corpusId), { tokenizerSha256: 'x', datasetSha256: 'x', textColumn: 'text', bos: true }, tokenizer, tokenizer.vocabSize);
  // Feature popularity ~ Zipf: a few dense features, a long tail of rare ones.
  const draw = weightedSampler(Float64Array.from({ length: D_SAE }, (_, f) => 1 / (f + 10)), rng.next);
  const docLen = 128;
  const docs = Math.ceil(tokens / (docLen - 1));
  const ids = new BigInt64Array(docLen * K);
  const values = new Float32Array(docLen * K);
  const seen = new Uint8Array(D_SAE);
  let pendingDocs: { document: number; tokens: number[] }[] = [];
  for (let d = 0; d < docs; d++) {
    for (let p = 0; p < docLen; p++) {
      const chosen: number[] = [];
      while (chosen.length < K) {
        const f = draw();
        if (!seen[f]) {
          seen[f] = 1;
          chosen.push(f);
        }
      }
      const acts = chosen.map(() => rng.next() * 10).sort((a, b) => b - a);
      chosen.forEach((f, j) => {
        seen[f] = 0;
        ids[p * K + j] = BigInt(f);
        values[p * K + j] = acts[j];
      });
    }
    writer.addWindow(d, 0, docLen, { ids, values, width: K }, 0, true);
    pendingDocs.push({ document: d, tokens: [0, ...Array.from({ length: docLen - 1 }, () => 2 + rng.int(tokenizer.vocabSize - 2))] });
    if (writer.uncommittedTokens > 1 << 17) {
      writer.commit({ nextDocument: d + 1, documents: d + 1, skipped: 0 });
      corpus.putDocuments(pendingDocs);
      pendingDocs = [];
    }
  }
  writer.commit({ nextDocument: docs, documents: docs, skipped: 0 });
  corpus.putDocuments(pendingDocs);
  const sae = randomSae({ dIn: D_MODEL, dSae: D_SAE, k: K, seed: 2 });
  const similar = await similarByDecoder(sae.W_dec.data, D_SAE, D_MODEL, 5, device);
  finalizeIndex(writer.db, { acc: writer.acc, dSae: D_SAE, seed: 0, decoderNorms: rowNorms(sae.W_dec.data, D_SAE, D_MODEL), similar, logits: null, corpus });
  writer.db.pragma('wal_checkpoint(TRUNCATE)');
  writer.close();
  corpus.close();
  const buildMs = performance.now() - t0;
  const registry = new IndexRegistry(db);
  const indexed = (docLen - 1) * docs;
  const empty = { root: '', files: [], sha256: '' };
  registry.insert({ id, jobId: null, modelPath: '', saePath: '', datasetPath: '', hookName: HOOK, dSae: D_SAE, corpusId, labels: { model: 'synthetic', sae: 'synthetic', dataset: 'synthetic' }, params: { modelPath: '', saePaths: [''], datasetPath: '', topN: 20, contextBefore: 10, contextAfter: 5, seed: 0, device }, provenance: { appVersion: '', model: empty, sae: empty, dataset: empty, tokenizer: empty, textColumn: 'text', bos: true, contextSize: 128 }, createdAt: Date.now() });
  registry.markReady(id, { tokens: indexed, documents: docs, skippedRows: 0, dbBytes: indexFileBytes(indexFile(home, id)), tokensPerSecond: 0 });
  return { reader: new FeatureIndexReader(home, registry.require(id)), buildMs, bytes: indexFileBytes(indexFile(home, id)) };
}

export async function indexBench(device: DeviceChoice, options: { tokens?: number; syntheticTokens?: number; rssTokens?: [number, number] } = {}): Promise<string[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-index-bench-'));
  const lines: string[] = [];
  try {
    const tokens = options.tokens ?? 40_000;
    const fx = fixture(root, device, tokens);
    const floor = await forwardAndEncodeOnly(fx.params);
    await releaseSessions();
    const t0 = performance.now();
    const built = await buildIndexes(quietHost(fx.home), fx.params);
    const jobMs = performance.now() - t0;
    await releaseSessions();
    const bytes = indexFileBytes(indexFile(fx.home, built.indexIds[0]));
    const store = storeBytes(fx.home, built.indexIds[0]);
    lines.push(
      `(i) index.build, 23M-param GPT-2 (8x512, to layer 2) + TopK SAE 512->4096 k=40, ${built.tokens.toLocaleString('en-US')} tokens on ${device}:`,
      `    whole job ${(jobMs / 1000).toFixed(1)} s (${Math.round(built.tokens / (jobMs / 1000)).toLocaleString('en-US')} tok/s incl. hashing, writes, finalize) vs forward + encode only ${(floor.ms / 1000).toFixed(1)} s (${Math.round(floor.tokens / (floor.ms / 1000)).toLocaleString('en-US')} tok/s)`,
      `    ratio job / (forward + encode) = ${(jobMs / floor.ms).toFixed(2)}x (target <= 1.25x)`,
      `(ii) sparse store ${(store.bytes / 2 ** 20).toFixed(1)} MiB: ${(store.bytes / built.tokens).toFixed(1)} bytes per indexed token, ${(store.bytes / store.latents).toFixed(2)} bytes per fired latent (format: 2 B/token + 6 B/latent); whole file with stats, examples and SQLite pages ${(bytes / 2 ** 20).toFixed(1)} MiB`,
    );
    // Past the first few batches (ORT's arena and V8's heap warm up), memory must stay flat.
    const [few, many] = options.rssTokens ?? [20_000, 80_000];
    const small = childPeakRss(root, device, few);
    const large = childPeakRss(root, device, many);
    lines.push(`(iii) peak RSS of a build: ${small.toFixed(0)} MiB at ${few.toLocaleString('en-US')} tokens, ${large.toFixed(0)} MiB at ${many.toLocaleString('en-US')} tokens (ratio ${(large / small).toFixed(2)}x for ${(many / few).toFixed(0)}x the tokens)`);
    const synth = await syntheticIndex(root, device, options.syntheticTokens ?? 1_000_000);
    const rng = new SeededRandom(4);
    const times: number[] = [];
    const listing0 = performance.now();
    synth.reader.listing();
    const listingMs = performance.now() - listing0;
    for (let i = 0; i < 200; i++) {
      const f = rng.int(D_SAE);
      const t = performance.now();
      synth.reader.feature(f);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    lines.push(
      `(iv) synthetic index ${synth.reader.tokens.toLocaleString('en-US')} tokens, d_sae ${D_SAE}, k ${K}: built in ${(synth.buildMs / 1000).toFixed(1)} s (incl. the correlation pass), ${(synth.bytes / 2 ** 20).toFixed(0)} MiB (${(synth.bytes / synth.reader.tokens).toFixed(1)} B/token)`,
      `    a feature's full page (stats, 20 top + 50 interval examples in context, histogram, neighbours): p50 ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms over 200 features (target p95 < 50 ms); feature list ${listingMs.toFixed(0)} ms`,
    );
    synth.reader.close();
    return lines;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

// Child mode: one build, then print its peak RSS.
const argv = process.argv.slice(2);
if (argv[0] === '--child-build') {
  const tokens = Number(argv[1]);
  const root = argv[argv.indexOf('--root') + 1];
  const device = argv[argv.indexOf('--device') + 1] as DeviceChoice;
  const fx = fixture(root, device, tokens);
  await buildIndexes(quietHost(fx.home), fx.params);
  console.log(`peak_rss_mib=${peakRssMiB().toFixed(1)}`);
}
