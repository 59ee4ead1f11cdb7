/**
 * Match and diff, end to end over two indexes: resolve the method, read the stores (or decoders),
 * assign, cache the match beside the data directory, and write diffs with every parameter.
 * Called by the compare.* jobs (in a worker) and by the CLI; never on the core's event loop.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ConditionPreview, DiffParams, DiffResult, FeatureMatchRow, IndexRef, MatchParams, MatchResult } from '../../preload/api';
import { compileCondition, ConditionBudget } from '../conditions/tokenCondition';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';
import { loadModel } from '../formats/models/registry';
import { loadSae } from '../formats/saeLoader';
import { CorpusStore, corpusFile } from '../index/corpusStore';
import { FeatureIndexReader } from '../index/indexReader';
import { IndexRegistry, type IndexRecord } from '../index/indexRegistry';
import { indexFile } from '../index/indexDatabase';
import { writeFileAtomic } from '../outputs/atomicFile';
import { planOutput, writeOutputFolder, type OutputChoice } from '../outputs/outputPath';
import { alignedDocuments, requireSameCorpus } from './alignedPositions';
import { assignOneToOne } from './assignment';
import { countByCondition, DEFAULT_THRESHOLD, diffRows, diffSentence } from './conditionDiff';
import { embeddingAgreement, matchByActivation, matchByDecoder, type MatchScores } from './featureMatching';
import { SavedConditions } from '../conditions/savedConditions';

/** Below this mean embedding cosine two models do not share a residual basis. */
export const SHARED_BASIS = 0.5;

export interface CompareHost {
  home: string;
  db: Db;
  progress?: (fraction: number, message: string) => void;
}

export function refOf(rec: IndexRecord): IndexRef {
  const p = rec.provenance;
  return {
    id: rec.id,
    finishedAt: rec.finishedAt,
    labels: rec.labels,
    modelPath: rec.modelPath,
    saePath: rec.saePath,
    datasetPath: rec.datasetPath,
    hookName: rec.hookName,
    dSae: rec.dSae,
    sha256: { model: p.model.sha256, sae: p.sae.sha256, dataset: p.dataset.sha256, tokenizer: p.tokenizer.sha256 },
  };
}

/** Readers of both indexes (every read checked; damage is INDEX_CORRUPT naming the file). */
function openReaders(home: string, ra: IndexRecord, rb: IndexRecord): [FeatureIndexReader, FeatureIndexReader] {
  const a = new FeatureIndexReader(home, ra);
  try {
    return [a, new FeatureIndexReader(home, rb)];
  } catch (err) {
    a.close();
    throw err;
  }
}

function readyIndex(registry: IndexRegistry, id: string): IndexRecord {
  const rec = registry.require(id);
  if (rec.state !== 'ready') throw new WorkbenchError('INDEX_NOT_READY', `The index ${id} is ${rec.state}.`, 'Wait for its build to finish, or retry it from the Queue.');
  return rec;
}

export function matchFile(home: string, a: string, b: string, method: 'activation' | 'decoder'): string {
  return path.join(home, 'compare', 'matches', `${a}__${b}__${method}.json`);
}

/** The match cache lives in the data directory (the app's own folder). */
function writeMatchCache(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, text);
}

/** A cached match, if both indexes are still the builds it was computed from. */
export function cachedMatch(home: string, registry: IndexRegistry, a: string, b: string, method: MatchParams['method']): MatchResult | null {
  const methods = method === 'auto' ? (['decoder', 'activation'] as const) : [method];
  const ra = registry.get(a);
  const rb = registry.get(b);
  if (!ra || !rb) return null;
  for (const m of methods) {
    const file = matchFile(home, a, b, m);
    if (!fs.existsSync(file)) continue;
    const result = JSON.parse(fs.readFileSync(file, 'utf8')) as MatchResult;
    if (result.a.finishedAt === ra.finishedAt && result.b.finishedAt === rb.finishedAt && (method !== 'auto' || result.requested === 'auto')) return result;
  }
  return null;
}

function rowsFrom(scores: MatchScores, assigned: Int32Array): FeatureMatchRow[] {
  return Array.from(scores.best, (best, f) => ({
    feature: f,
    match: best >= 0 ? best : null,
    match_score: best >= 0 ? scores.bestScore[f] : null,
    runner_up: scores.runnerUp[f] >= 0 ? scores.runnerUp[f] : null,
    runner_up_score: scores.runnerUp[f] >= 0 ? scores.runnerUpScore[f] : null,
    assigned: assigned[f] >= 0 ? assigned[f] : null,
  }));
}

export async function runMatch(host: CompareHost, params: MatchParams): Promise<MatchResult> {
  const registry = new IndexRegistry(host.db);
  const ra = readyIndex(registry, params.a);
  const rb = readyIndex(registry, params.b);
  const warnings: string[] = [];
  // Whether the models share a residual basis decides what decoder cosines mean.
  // (Activation matching needs no weights: the models are loaded only when decoders may be compared.)
  let agreement: number | null = null;
  let shapes = '';
  if (params.method !== 'activation') {
    const modelA = loadModel(ra.modelPath);
    const modelB = ra.modelPath === rb.modelPath ? modelA : loadModel(rb.modelPath);
    const [ca, cb] = [modelA.config, modelB.config];
    shapes = `d_model ${ca.dModel} vs ${cb.dModel}, vocab ${ca.dVocab} vs ${cb.dVocab}`;
    if (ca.dModel === cb.dModel && ca.dVocab === cb.dVocab) agreement = embeddingAgreement(modelA.W_E.data, modelB.W_E.data, ca.dVocab, ca.dModel);
  }
  const shared = agreement !== null && agreement >= SHARED_BASIS;
  const method = params.method === 'auto' ? (shared ? 'decoder' : 'activation') : params.method;
  if (method === 'decoder' && !shared) {
    warnings.push(
      agreement === null
        ? `The two models have different shapes (${shapes}): decoder cosines between their SAEs compare unrelated bases and mean nothing.`
        : `The two models' embeddings agree only ${agreement.toFixed(2)} (mean cosine per token; a shared basis gives ~1): decoder cosines between their SAEs likely compare unrelated bases. Prefer activation matching.`,
    );
  }
  host.progress?.(0.02, `matching by ${method}`);
  let scores: MatchScores;
  if (method === 'decoder') {
    const sa = loadSae(ra.saePath);
    const sb = loadSae(rb.saePath);
    if (sa.config.dIn !== sb.config.dIn) throw new WorkbenchError('SAE_WIDTHS_DIFFER', `The SAEs read ${sa.config.dIn}- and ${sb.config.dIn}-wide activations: their decoders cannot be compared.`, 'Use activation matching.');
    scores = await matchByDecoder(sa.W_dec.data, sa.config.dSae, sb.W_dec.data, sb.config.dSae, sa.config.dIn, params.device);
  } else {
    requireSameCorpus(ra, rb);
    const [readerA, readerB] = openReaders(host.home, ra, rb);
    try {
      const bos = readerA.store.meta<boolean>('bos');
      const totalDocuments = Math.min(ra.summary?.documents ?? 1, rb.summary?.documents ?? 1);
      scores = matchByActivation(() => alignedDocuments(readerA, readerB), ra.dSae, rb.dSae, bos, {
        totalDocuments,
        onProgress: (f) => host.progress?.(0.02 + 0.9 * f, 'co-firing sums over the two stores'),
      });
    } finally {
      readerA.close();
      readerB.close();
    }
  }
  host.progress?.(0.95, 'one-to-one assignment');
  const { partnerOfB, prunedEdges } = assignOneToOne(scores.candidates, ra.dSae, rb.dSae);
  if (prunedEdges > 0) warnings.push(`${prunedEdges} weak candidate pairs were dropped to split large components before the assignment; it is exact over the remaining candidates.`);
  const result: MatchResult = {
    method,
    requested: params.method,
    a: refOf(ra),
    b: refOf(rb),
    tokens: scores.tokens,
    embeddingAgreement: agreement,
    warnings,
    prunedEdges,
    createdAt: Date.now(),
    features: rowsFrom(scores, partnerOfB),
  };
  writeMatchCache(matchFile(host.home, ra.id, rb.id, method), JSON.stringify(result));
  return result;
}

function csvOf(result: DiffResult): string {
  const params: [string, unknown][] = [
    ['condition', result.condition],
    ['requested_condition', result.requestedCondition],
    ['n_condition_tokens', result.n_condition_tokens],
    ['n_other_tokens', result.n_other_tokens],
    ['asymmetry_floor', result.floor],
    ['min_rate', result.minRate],
    ['match_threshold', result.threshold],
    ['match_method', result.method],
    ['index_a', `${result.a.id} ${result.a.labels.model} ${result.a.hookName} model_sha256=${result.a.sha256.model} sae_sha256=${result.a.sha256.sae} dataset_sha256=${result.a.sha256.dataset}`],
    ['index_b', `${result.b.id} ${result.b.labels.model} ${result.b.hookName} model_sha256=${result.b.sha256.model} sae_sha256=${result.b.sha256.sae} dataset_sha256=${result.b.sha256.dataset}`],
    ['sentence', result.sentence],
  ];
  const head = params.map(([k, v]) => `# ${k}: ${String(v).replace(/\n/g, '\\n')}`);
  const cols = ['feature', 'rate_b', 'rate_b_elsewhere', 'mean_b', 'match', 'match_score', 'rate_a_match', 'asymmetry', 'why'] as const;
  const rows = result.features.map((r) => cols.map((c) => (r[c] === null ? '' : String(r[c]))).join(','));
  return [...head, cols.join(','), ...rows].join('\n') + '\n';
}

export const DIFF_FILES = ['diff.json', 'diff.csv'] as const;

/** `out`: the folder for diff.json and diff.csv, checked by the output rule before any work. */
export async function runDiff(host: CompareHost, params: DiffParams, out: OutputChoice | null): Promise<DiffResult> {
  const registry = new IndexRegistry(host.db);
  const ra = readyIndex(registry, params.a);
  const rb = readyIndex(registry, params.b);
  requireSameCorpus(ra, rb);
  const planned = out
    ? planOutput({
        ...out,
        kind: 'folder',
        files: DIFF_FILES,
        inputs: [
          { label: `index A (${ra.id})`, path: indexFile(host.home, ra.id) },
          { label: `index B (${rb.id})`, path: indexFile(host.home, rb.id) },
          { label: 'the indexes\' corpus', path: corpusFile(host.home, ra.corpusId) },
        ],
      })
    : null;
  const condition = compileCondition(params.condition, new SavedConditions(host.db).resolve);
  const match = cachedMatch(host.home, registry, ra.id, rb.id, params.method) ?? (await runMatch({ ...host, progress: (f, m) => host.progress?.(0.8 * f, m) }, params));
  host.progress?.(0.85, `counting firings at ${condition.spec}`);
  const [readerA, readerB] = openReaders(host.home, ra, rb);
  const corpus = readerA.corpus;
  let counts;
  try {
    const bos = readerA.store.meta<boolean>('bos');
    counts = countByCondition(
      alignedDocuments(readerA, readerB),
      (d) => corpus.tokens(d) ?? new Int32Array(0),
      corpus.vocab(),
      condition,
      ra.dSae,
      rb.dSae,
      bos,
    );
  } finally {
    readerA.close();
    readerB.close();
  }
  const best = Int32Array.from(match.features, (r) => r.match ?? -1);
  const bestScore = Float64Array.from(match.features, (r) => r.match_score ?? Number.NaN);
  const threshold = params.threshold ?? DEFAULT_THRESHOLD[match.method];
  const { rows, floor } = diffRows(counts, { best, bestScore }, { minRate: params.minRate, threshold, floor: params.floor });
  const result: DiffResult = {
    condition: condition.spec,
    requestedCondition: params.condition,
    n_condition_tokens: counts.nCondition,
    n_other_tokens: counts.nOther,
    floor,
    minRate: params.minRate,
    threshold,
    method: match.method,
    sentence: diffSentence(rows, { labelA: `${ra.labels.model} ${ra.hookName}`, labelB: `${rb.labels.model} ${rb.hookName}`, condition: params.condition, rate: params.minRate, threshold, nCondition: counts.nCondition }),
    a: refOf(ra),
    b: refOf(rb),
    matchWarnings: match.warnings,
    createdAt: Date.now(),
    features: rows,
    files: null,
  };
  if (planned) {
    result.files = { json: path.join(planned.target, 'diff.json'), csv: path.join(planned.target, 'diff.csv') };
    writeOutputFolder(planned, (stage) => {
      fs.writeFileSync(path.join(stage, 'diff.csv'), csvOf(result));
      fs.writeFileSync(path.join(stage, 'diff.json'), JSON.stringify(result, null, 1));
    });
  }
  host.progress?.(1, 'done');
  return result;
}

/** The longest a condition preview may evaluate (it blocks the core's main thread meanwhile). */
export const PREVIEW_BUDGET_MS = 1000;

/** Where a condition holds in the first documents of an index's corpus, token by token. */
export function previewCondition(home: string, db: Db, indexId: string, spec: string, documents: number): ConditionPreview {
  const rec = readyIndex(new IndexRegistry(db), indexId);
  const condition = compileCondition(spec, new SavedConditions(db).resolve);
  const corpus = CorpusStore.openForReading(corpusFile(home, rec.corpusId));
  try {
    const vocab = corpus.vocab();
    const out: ConditionPreview = { spec: condition.spec, documents: [], matches: 0, tokens: 0 };
    // The preview runs on the core's main thread, which every other client waits on.
    const budget = new ConditionBudget(PREVIEW_BUDGET_MS, `to preview on ${documents} document${documents === 1 ? '' : 's'}`);
    for (const doc of corpus.documents()) {
      const texts = Array.from(doc.tokens, (t) => vocab[t] ?? '');
      const mask = condition.mask({ ids: doc.tokens, texts, bos: rec.provenance.bos }, budget);
      out.matches += mask.reduce((s, v) => s + v, 0);
      out.tokens += texts.length - (rec.provenance.bos ? 1 : 0);
      out.documents.push({ document: doc.document, tokens: texts, mask: Array.from(mask) });
      if (out.documents.length >= documents) break;
    }
    return out;
  } finally {
    corpus.close();
  }
}
