import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundlePaths, DemoGroundTruth } from '../demo/demoBundle';
import { openDatabase, type Db } from '../db/connection';
import { referenceForward } from '../engine/reference/modelReference';
import { referenceSae } from '../engine/reference/saeReference';
import { loadModel } from '../formats/models/registry';
import { loadSae } from '../formats/saeLoader';
import { prepareHome } from '../home';
import { JobStopped } from '../jobs/kind';
import { JobStore } from '../jobs/store';
import { sharedDemoBundle } from '../testing/sharedDemoBundle';
import { makeTempDir } from '../testing/tempDirs';
import { asyncErrorOf } from '../testing/workbenchErrors';
import { randomSaeTensors, v6TopkCfg, writeSaeDir } from '../formats/testing/saeFixture';
import { buildIndexes, type BuildHost, type BuildState, type BuildTuning } from './buildIndex';
import { corpusFile, CorpusStore } from './corpusStore';
import { pearsonFromSums } from './finalizeIndex';
import { IndexCatalog, staleness } from './indexCatalog';
import { indexFile, openIndexDb } from './indexDatabase';
import { prepareIndexBuild } from './prepareIndexBuild';
import type { IndexBuildParams } from '../../preload/api';

const tmp = makeTempDir('index');
afterAll(() => tmp.cleanup());
let demo: DemoBundlePaths;
let truth: DemoGroundTruth;
beforeAll(() => {
  demo = sharedDemoBundle();
  truth = JSON.parse(fs.readFileSync(demo.groundTruth, 'utf8')) as DemoGroundTruth;
});

function newHome(label: string): string {
  const home = path.join(tmp.dir, label);
  prepareHome(home);
  openDatabase(home).close();
  return home;
}

function host(home: string, options: { state?: BuildState | null; stopAtFlush?: number } = {}): BuildHost & { saved: BuildState | null } {
  let flushes = 0;
  const h: BuildHost & { saved: BuildState | null } = {
    home,
    jobId: null,
    resumeState: options.state ?? null,
    saved: null,
    saveState: async (s) => {
      h.saved = s;
    },
    progress: () => {},
    log: () => {},
    throwIfStopped: () => {
      if (options.stopAtFlush !== undefined && ++flushes === options.stopAtFlush) throw new JobStopped('pause');
    },
  };
  return h;
}

const params = (over: Partial<IndexBuildParams> = {}): IndexBuildParams => ({
  modelPath: demo.models.adhd,
  saePaths: [demo.saes.adhd],
  datasetPath: demo.dataset,
  topN: 20,
  contextBefore: 10,
  contextAfter: 5,
  seed: 0,
  device: 'cpu',
  maxDocuments: 40,
  contextSize: 16,
  ...over,
});

/** Every table of an index file, in a comparable form. */
function dump(db: Db): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const t of ['blocks', 'feature_stats', 'examples', 'intervals', 'histograms', 'logit_effects', 'neighbours', 'token_features']) {
    out[t] = db.prepare(`SELECT * FROM ${t} ${t === 'blocks' ? 'ORDER BY document, start' : ''}`).all().map((r) => {
      const row = { ...(r as Record<string, unknown>) };
      delete row.id;
      for (const [k, v] of Object.entries(row)) if (Buffer.isBuffer(v)) row[k] = v.toString('hex');
      return row;
    });
  }
  return out;
}

describe('index build on the demo bundle', () => {
  let home: string;
  let indexId: string;
  beforeAll(async () => {
    home = newHome('main');
    const result = await buildIndexes(host(home), params());
    indexId = result.indexIds[0];
    expect(result.documents).toBe(40);
  });

  it('matches a float64 reference forward + SAE over the same windows (stats, fire counts)', () => {
    const rec = new IndexCatalog(home, openDatabase(home)).registry.require(indexId);
    const corpus = CorpusStore.openForReading(corpusFile(home, rec.corpusId));
    const model = loadModel(demo.models.adhd);
    const sae = loadSae(demo.saes.adhd);
    const d = sae.config.dSae;
    const fire = new Float64Array(d);
    const sum = new Float64Array(d);
    const sumSq = new Float64Array(d);
    const max = new Float64Array(d);
    const dense: Float64Array[] = [];
    let tokens = 0;
    let stepTokens = 0;
    const vocab = corpus.vocab();
    for (const { tokens: ids } of corpus.documents()) {
      // The build's windows: 16 tokens each, BOS only at the start of the document; position 0 of
      // every window does not count (BOS, or a continuation window's first token, which runs without one).
      for (let start = 0; start < ids.length; start += 16) {
        const window = Array.from(ids.subarray(start, start + 16));
        const resid = referenceForward(model, window).hooks.get(sae.config.hookName)!;
        const { featureActs } = referenceSae(sae, resid, window.length);
        for (let p = 0; p < window.length; p++) {
          if (p === 0) continue;
          tokens++;
          if (vocab[window[p]].trim() === 'Step') stepTokens++;
          const row = featureActs.subarray(p * d, (p + 1) * d);
          dense.push(row);
          for (let f = 0; f < d; f++) {
            const v = row[f];
            if (v > 0) {
              fire[f]++;
              sum[f] += v;
              sumSq[f] += v * v;
              max[f] = Math.max(max[f], v);
            }
          }
        }
      }
    }
    const reader = new IndexCatalog(home, openDatabase(home)).reader(indexId);
    const listing = reader.listing();
    expect(listing.tokens).toBe(tokens);
    expect(listing.fireCount).toEqual(Array.from(fire));
    for (let f = 0; f < d; f++) {
      expect(listing.max[f]).toBeCloseTo(max[f], 4);
      if (fire[f] > 0) expect(listing.mean[f]).toBeCloseTo(sum[f] / fire[f], 4);
      expect(listing.density[f]).toBeCloseTo(fire[f] / tokens, 12);
    }
    // The planted feature fires at every Step token and nowhere else.
    expect(fire[truth.adhdSaePlantedFeature]).toBe(stepTokens);
    // Activation correlation of the planted feature with the token-"Step" feature, recomputed densely.
    const [a, b] = [truth.adhdSaePlantedFeature, reader.feature(truth.adhdSaePlantedFeature).correlated[0].feature];
    const sab = dense.reduce((s, row) => s + row[a] * row[b], 0);
    const expected = pearsonFromSums(tokens, sum[a], sum[b], sumSq[a], sumSq[b], sab)!;
    expect(reader.feature(a).correlated[0].score).toBeCloseTo(expected, 4);
    expect(expected).toBeGreaterThan(0.9);
    corpus.close();
  });

  it('shows the planted feature the way a feature page needs it', () => {
    const reader = new IndexCatalog(home, openDatabase(home)).reader(indexId);
    const f = reader.feature(truth.adhdSaePlantedFeature);
    expect(f.top).toHaveLength(20);
    for (const e of f.top) {
      expect(e.tokens[e.focus].trim()).toBe('Step');
      expect(e.activations[e.focus]).toBe(e.activation);
      expect(e.tokens.length).toBeLessThanOrEqual(16);
    }
    expect(f.top.map((e) => e.activation)).toEqual([...f.top.map((e) => e.activation)].sort((x, y) => y - x));
    expect(f.logits!.positive[0]).toMatchObject({ text: ' quickly' });
    expect(f.logits!.positive[0].value).toBeCloseTo(1.5, 4);
    expect(f.histogram.counts.reduce((s, c) => s + c, 0)).toBe(f.fireCount);
    expect(f.intervals.reduce((s, i) => s + i.count, 0)).toBe(f.fireCount);
    expect(f.intervals.reduce((s, i) => s + i.share, 0)).toBeCloseTo(1, 12);
    for (const iv of f.intervals) {
      expect(iv.examples.length).toBe(Math.min(5, iv.count));
      for (const e of iv.examples) expect(e.activation > iv.lower && e.activation <= iv.upper).toBe(true);
    }
    expect(f.similar.map((s) => s.feature)).not.toContain(f.feature);
    expect(reader.search('Step').map((h) => h.feature)).toContain(truth.adhdSaePlantedFeature);
    expect(reader.search('#255')[0]).toMatchObject({ feature: 255, reason: 'feature id' });
  });

  it('resumes after a pause with exactly the rows of an uninterrupted build', async () => {
    const tuning: BuildTuning = { batchTokens: 200, commitEveryBatch: true };
    const straightHome = newHome('straight');
    const straight = await buildIndexes(host(straightHome), params(), tuning);
    const pausedHome = newHome('paused');
    const first = host(pausedHome, { stopAtFlush: 3 });
    await expect(buildIndexes(first, params(), tuning)).rejects.toBeInstanceOf(JobStopped);
    const partial = openIndexDb(indexFile(pausedHome, first.saved!.indexIds[0]), { readonly: true });
    const committed = (partial.prepare('SELECT next_document FROM build_state').get() as { next_document: number }).next_document;
    expect(committed).toBeGreaterThan(0);
    partial.close();
    const resumed = await buildIndexes(host(pausedHome, { state: first.saved }), params(), tuning);
    expect(resumed.tokens).toBe(straight.tokens);
    const a = openIndexDb(indexFile(straightHome, straight.indexIds[0]), { readonly: true });
    const b = openIndexDb(indexFile(pausedHome, resumed.indexIds[0]), { readonly: true });
    expect(dump(b)).toEqual(dump(a));
    a.close();
    b.close();
  });

  it('fails cleanly on a full disk, keeps its last commit, and a resume completes it', async () => {
    const tuning: BuildTuning = {
      batchTokens: 200,
      commitEveryBatch: true,
      // After two commits, cap the file at its current size: the next commit hits SQLITE_FULL.
      afterCommit: (writers) => {
        if (++commits === 2) writers[0].db.pragma(`max_page_count = ${writers[0].db.pragma('page_count', { simple: true })}`);
      },
    };
    let commits = 0;
    const full = newHome('full');
    const h = host(full);
    const err = await asyncErrorOf(() => buildIndexes(h, params(), tuning));
    expect(err.code).toBe('DISK_FULL');
    const rec = new IndexCatalog(full, openDatabase(full)).registry.require(h.saved!.indexIds[0]);
    expect(rec.state).toBe('failed');
    expect(rec.error?.code).toBe('DISK_FULL');
    const db = openIndexDb(indexFile(full, rec.id), { readonly: true });
    const cursor = (db.prepare('SELECT next_document FROM build_state').get() as { next_document: number }).next_document;
    expect((db.prepare('SELECT count(*) AS n FROM blocks WHERE document >= ?').get(cursor) as { n: number }).n).toBe(0);
    db.close();
    const done = await buildIndexes(host(full, { state: h.saved }), params(), { batchTokens: 200, commitEveryBatch: true });
    expect(done.documents).toBe(40);
    expect(new IndexCatalog(full, openDatabase(full)).registry.require(rec.id).state).toBe('ready');
  });

  it('indexes several SAEs from one model pass, and counts skipped rows and tokens exactly', async () => {
    const dir = path.join(tmp.dir, 'data');
    fs.mkdirSync(dir, { recursive: true });
    const lines = fs.readFileSync(demo.dataset, 'utf8').split('\n').slice(0, 6);
    const file = path.join(dir, 'mixed.jsonl');
    fs.writeFileSync(file, [lines[0], '{broken', lines[1], '{"text": 3}', lines[2], ''].join('\n'));
    const h = newHome('multi');
    const copy = path.join(tmp.dir, 'sae-copy');
    fs.cpSync(demo.saes.adhd, copy, { recursive: true });
    const result = await buildIndexes(host(h), params({ saePaths: [demo.saes.adhd, copy], datasetPath: file, maxDocuments: undefined }));
    expect(result.indexIds).toHaveLength(2);
    expect(result.skippedRows).toBe(2);
    expect(result.documents).toBe(3);
    const cat = new IndexCatalog(h, openDatabase(h));
    const [x, y] = result.indexIds.map((id) => cat.reader(id).listing());
    expect(y.fireCount).toEqual(x.fireCount);
    const docs = [...CorpusStore.openForReading(corpusFile(h, cat.registry.require(result.indexIds[0]).corpusId)).documents()].map((d) => d.document);
    expect(docs).toEqual([0, 2, 4]);
    // --max-tokens is exact: the last document is cut.
    const cutHome = newHome('cut');
    const cut = await buildIndexes(host(cutHome), params({ datasetPath: file, maxDocuments: undefined, maxTokens: 50 }));
    expect([cut.tokens, cut.documents]).toEqual([50, 1]);
    // ...in what is indexed, not in the corpus the home's indexes share: a later whole build of the
    // same dataset finds document 0 whole, whichever build wrote it first.
    const whole = await buildIndexes(host(cutHome), params({ datasetPath: file, maxDocuments: undefined }));
    const cutCat = new IndexCatalog(cutHome, openDatabase(cutHome));
    const corpusOf = (id: string) => CorpusStore.openForReading(corpusFile(cutHome, cutCat.registry.require(id).corpusId));
    expect(cutCat.registry.require(whole.indexIds[0]).corpusId).toBe(cutCat.registry.require(cut.indexIds[0]).corpusId);
    expect(corpusOf(whole.indexIds[0]).tokens(0)!.length).toBeGreaterThan(51);
    expect(whole.tokens).toBe(result.tokens);
  });

  it('an index left "building" by a job that is over can be removed; one whose job may still write it cannot', async () => {
    const h = newHome('orphan');
    const built = await buildIndexes(host(h), params({ maxDocuments: 3 }));
    const db = openDatabase(h);
    const store = new JobStore(db, () => true);
    const job = store.insert({ kind: 'index.build', title: 'build', params: {}, priority: 0, resource: 'cpu' });
    const [id] = built.indexIds;
    // As a build that died between creating its rows and saving its first state leaves them.
    // A row changed behind the registry's back carries no checksum (as rows from before checksums).
    db.prepare("UPDATE feature_indexes SET state = 'building', job_id = ?, crc = NULL WHERE id = ?").run(job.id, id);
    const cat = new IndexCatalog(h, db);
    expect(() => cat.remove(id)).toThrowError(expect.objectContaining({ code: 'INDEX_BUILDING' }));
    db.prepare("UPDATE jobs SET state = 'failed' WHERE id = ?").run(job.id);
    cat.remove(id);
    expect(cat.registry.get(id)).toBeNull();
    expect(fs.existsSync(indexFile(h, id))).toBe(false);
  });

  it('is stale once an input changes, and not when a file is only touched', async () => {
    const h = newHome('stale');
    const data = path.join(tmp.dir, 'stale-data.jsonl');
    fs.writeFileSync(data, fs.readFileSync(demo.dataset, 'utf8').split('\n').slice(0, 5).join('\n'));
    const built = await buildIndexes(host(h), params({ datasetPath: data, maxDocuments: undefined }));
    const registry = new IndexCatalog(h, openDatabase(h)).registry;
    const rec = registry.require(built.indexIds[0]);
    expect(await staleness(rec)).toBeNull();
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(data, later, later);
    expect(await staleness(rec)).toBeNull();
    fs.appendFileSync(data, '\n{"text": "one more"}');
    expect(await staleness(rec)).toMatch(/^The dataset changed: .*stale-data\.jsonl has changed since/);
    expect((await new IndexCatalog(h, openDatabase(h)).list())[0].stale).toMatch(/dataset changed/);
  });

  it('refuses an SAE that overflows on the data (finite weights, infinite activations) and stores none of it', async () => {
    const dir = path.join(tmp.dir, 'overflowing-sae');
    const tensors = randomSaeTensors(64, 256, 7);
    // Finite in float32, but any dot product with a residual of norm > 1 leaves the float32 range.
    const wEnc = tensors.W_enc.data as Float32Array;
    for (let i = 0; i < wEnc.length; i++) wEnc[i] = 3e38;
    const cfg = v6TopkCfg(64, 256, 8) as { metadata: Record<string, unknown> };
    cfg.metadata.hook_name = 'blocks.2.hook_resid_post';
    writeSaeDir(dir, cfg, tensors);
    const home = newHome('overflow');
    const h = host(home);
    const err = await asyncErrorOf(() => buildIndexes(h, params({ saePaths: [dir] })));
    expect(err.code).toBe('NONFINITE_OUTPUT');
    expect(err.message).toMatch(/^the index batch from document 0, SAE blocks\.2\.hook_resid_post: feature_values \[\d+, 8\] holds \d+ (non-finite|infinite) values/);
    const rec = new IndexCatalog(home, openDatabase(home)).registry.require(h.saved!.indexIds[0]);
    expect(rec.state).toBe('failed');
    const db = openIndexDb(indexFile(home, rec.id), { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM blocks').get() as { n: number }).n).toBe(0);
    db.close();
  });

  it('refuses bad input before anything runs, with the fix in the hint', async () => {
    const narrow = path.join(tmp.dir, 'narrow-sae');
    writeSaeDir(narrow, v6TopkCfg(32, 64, 4), randomSaeTensors(32, 64, 1));
    const mismatch = await asyncErrorOf(() => prepareIndexBuild(params({ saePaths: [narrow] })));
    expect(mismatch.code).toBe('SAE_MODEL_MISMATCH');
    expect(mismatch.hint).toContain('d_in 64');
    const other = path.join(tmp.dir, 'other-model-sae');
    fs.cpSync(demo.saes.standard, other, { recursive: true });
    const cfg = JSON.parse(fs.readFileSync(path.join(other, 'cfg.json'), 'utf8'));
    cfg.metadata.model_name = 'gpt2';
    fs.writeFileSync(path.join(other, 'cfg.json'), JSON.stringify(cfg));
    expect((await asyncErrorOf(() => prepareIndexBuild(params({ saePaths: [demo.saes.adhd, other] })))).code).toBe('SAES_FROM_DIFFERENT_MODELS');
    const empty = path.join(tmp.dir, 'empty.jsonl');
    fs.writeFileSync(empty, '{"text": ""}\n{"oops": 1}\n');
    expect((await asyncErrorOf(() => prepareIndexBuild(params({ datasetPath: empty })))).code).toBe('DATASET_NO_USABLE_ROWS');
  });
});
