/**
 * Reads a finished index the way the Features page and `sae-workbench feature` need it: every
 * feature's headline numbers as columns, one feature's full page (top and interval examples in
 * context, histogram, logit effects, neighbours), and search by token. Examples' contexts come
 * from the corpus (tokens) and the sparse store (the feature's activation at each token).
 */
import type { FeatureDetail, FeatureExample, FeatureListing, FeatureNeighbour, FeatureSearchHit, LogitEntry } from '../../preload/api';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';
import { CorpusStore, corpusFile } from './corpusStore';
import { HISTOGRAM_BINS } from './finalizeIndex';
import { indexFile, openIndexDb, readMeta } from './indexDatabase';
import type { IndexRecord } from './indexRegistry';
import { blockOffsets, decodeBlock, featureTrace, type SparseBlock } from './sparseBlocks';

interface StatRow {
  feature: number;
  fire_count: number;
  sum: number;
  sum_sq: number;
  max: number;
  decoder_norm: number;
}

interface ExampleRow {
  kind: number;
  rank: number;
  document: number;
  position: number;
  activation: number;
}

export class FeatureIndexReader {
  readonly db: Db;
  readonly corpus: CorpusStore;
  readonly dSae: number;
  readonly tokens: number;
  readonly contextSize: number;
  readonly contextBefore: number;
  readonly contextAfter: number;
  private readonly statement: Record<string, Statement<unknown[]>>;

  constructor(
    readonly home: string,
    readonly record: IndexRecord,
  ) {
    if (record.state !== 'ready') {
      throw new WorkbenchError('INDEX_NOT_READY', `The index ${record.id} is ${record.state}${record.error ? ` (${record.error.message})` : ''}.`, record.state === 'building' ? 'Wait for its build job to finish (see the Queue).' : 'Retry its build job from the Queue, or remove it and build again.');
    }
    this.db = openIndexDb(indexFile(home, record.id), { readonly: true });
    this.corpus = CorpusStore.openForReading(corpusFile(home, record.corpusId));
    this.dSae = record.dSae;
    this.tokens = record.summary?.tokens ?? 0;
    this.contextSize = readMeta<number>(this.db, 'contextSize');
    this.contextBefore = record.params.contextBefore;
    this.contextAfter = record.params.contextAfter;
    this.statement = {
      stat: this.db.prepare('SELECT * FROM feature_stats WHERE feature = ?'),
      examples: this.db.prepare('SELECT kind, rank, document, position, activation FROM examples WHERE feature = ? ORDER BY kind, rank'),
      intervals: this.db.prepare('SELECT interval, lower, upper, count FROM intervals WHERE feature = ? ORDER BY interval'),
      histogram: this.db.prepare('SELECT counts FROM histograms WHERE feature = ?'),
      logits: this.db.prepare('SELECT rank, token, value FROM logit_effects WHERE feature = ? ORDER BY rank'),
      neighbours: this.db.prepare('SELECT kind, rank, other, score FROM neighbours WHERE feature = ? ORDER BY kind, rank'),
      blocks: this.db.prepare('SELECT document, start, counts, features, vals FROM blocks WHERE document = ? AND start > ? AND start <= ? ORDER BY start'),
    };
  }

  close(): void {
    this.db.close();
    this.corpus.close();
  }

  requireFeature(feature: number): void {
    if (!Number.isInteger(feature) || feature < 0 || feature >= this.dSae) {
      throw new WorkbenchError('FEATURE_OUT_OF_RANGE', `Feature ${feature} does not exist in this SAE (d_sae ${this.dSae}: features 0..${this.dSae - 1}).`, 'Pick a feature id in range.');
    }
  }

  listing(): FeatureListing {
    const rows = this.db.prepare('SELECT feature, fire_count, sum, max, decoder_norm FROM feature_stats ORDER BY feature').all() as StatRow[];
    const n = this.dSae;
    const out: FeatureListing = { indexId: this.record.id, tokens: this.tokens, fireCount: new Array(n).fill(0), max: new Array(n).fill(0), mean: new Array(n).fill(0), density: new Array(n).fill(0), decoderNorm: new Array(n).fill(0) };
    for (const r of rows) {
      out.fireCount[r.feature] = r.fire_count;
      out.max[r.feature] = r.max;
      out.mean[r.feature] = r.fire_count > 0 ? r.sum / r.fire_count : 0;
      out.density[r.feature] = this.tokens > 0 ? r.fire_count / this.tokens : 0;
      out.decoderNorm[r.feature] = r.decoder_norm;
    }
    return out;
  }

  /** The blocks of `document` that cover positions from..to (inclusive). */
  private blocksCovering(document: number, from: number, to: number): SparseBlock[] {
    const rows = this.statement.blocks.all(document, from - this.contextSize, to) as { document: number; start: number; counts: Buffer; features: Buffer; vals: Buffer }[];
    return rows.map((r) => decodeBlock(r, this.dSae)).filter((b) => b.start + b.counts.length > from);
  }

  /** An example with `before` tokens before and `after` after, and the feature's activation at each. */
  example(feature: number, document: number, position: number, activation: number, vocab = this.corpus.vocab()): FeatureExample {
    const tokens = this.corpus.tokens(document);
    if (!tokens) throw new WorkbenchError('CORPUS_INCOMPLETE', `Document ${document} is missing from this index's token store.`, 'Rebuild the index.');
    const from = Math.max(0, position - this.contextBefore);
    const to = Math.min(tokens.length - 1, position + this.contextAfter);
    const activations = new Array<number>(to - from + 1).fill(0);
    for (const block of this.blocksCovering(document, from, to)) {
      const trace = featureTrace(block, feature, blockOffsets(block.counts));
      for (let p = Math.max(from, block.start); p <= Math.min(to, block.start + block.counts.length - 1); p++) activations[p - from] = trace[p - block.start];
    }
    const texts: string[] = [];
    for (let p = from; p <= to; p++) texts.push(vocab[tokens[p]] ?? `<${tokens[p]}>`);
    return { document, position, activation, tokens: texts, activations, focus: position - from };
  }

  feature(feature: number): FeatureDetail {
    this.requireFeature(feature);
    const stat = this.statement.stat.get(feature) as StatRow | undefined;
    if (!stat) throw new WorkbenchError('INDEX_CORRUPT', `The index ${this.record.id} has no statistics for feature ${feature}.`, 'Rebuild the index.');
    const vocab = this.corpus.vocab();
    const examples = this.statement.examples.all(feature) as ExampleRow[];
    const inContext = (e: ExampleRow) => this.example(feature, e.document, e.position, e.activation, vocab);
    const intervals = (this.statement.intervals.all(feature) as { interval: number; lower: number; upper: number; count: number }[]).map((iv) => ({
      lower: iv.lower,
      upper: iv.upper,
      count: iv.count,
      share: stat.fire_count > 0 ? iv.count / stat.fire_count : 0,
      examples: examples.filter((e) => e.kind === iv.interval).map(inContext),
    }));
    const hist = this.statement.histogram.get(feature) as { counts: Buffer } | undefined;
    const logitRows = this.statement.logits.all(feature) as { rank: number; token: number; value: number }[];
    const entry = (r: { token: number; value: number }): LogitEntry => ({ token: r.token, text: vocab[r.token] ?? `<${r.token}>`, value: r.value });
    const neighbours = this.statement.neighbours.all(feature) as { kind: string; other: number; score: number }[];
    const of = (kind: string): FeatureNeighbour[] => neighbours.filter((n) => n.kind === kind).map((n) => ({ feature: n.other, score: n.score }));
    return {
      indexId: this.record.id,
      feature,
      dSae: this.dSae,
      hookName: this.record.hookName,
      labels: this.record.labels,
      fireCount: stat.fire_count,
      tokens: this.tokens,
      density: this.tokens > 0 ? stat.fire_count / this.tokens : 0,
      max: stat.max,
      mean: stat.fire_count > 0 ? stat.sum / stat.fire_count : 0,
      decoderNorm: stat.decoder_norm,
      top: examples.filter((e) => e.kind === -1).map(inContext),
      intervals,
      histogram: { lower: 0, upper: stat.max, counts: hist ? Array.from(new Uint32Array(Uint8Array.from(hist.counts).buffer)) : new Array(HISTOGRAM_BINS).fill(0) },
      logits: logitRows.length ? { positive: logitRows.filter((r) => r.rank >= 0).map(entry), negative: logitRows.filter((r) => r.rank < 0).sort((a, b) => b.rank - a.rank).map(entry) } : null,
      similar: of('similar'),
      correlated: of('correlated'),
    };
  }

  /**
   * Features for a query: a feature id ("255", "#255"), or a token text: features whose top
   * examples peak on a token whose trimmed text equals it (case-insensitive), best first.
   */
  search(query: string, limit = 100): FeatureSearchHit[] {
    const q = query.trim();
    const hits: FeatureSearchHit[] = [];
    const id = /^#?(\d+)$/.exec(q);
    if (id && Number(id[1]) < this.dSae) hits.push({ feature: Number(id[1]), reason: 'feature id', hits: 0, best: 0 });
    const wanted = q.toLowerCase();
    const tokenIds = this.corpus
      .vocab()
      .flatMap((text, tokenId) => (text.trim().toLowerCase() === wanted ? [tokenId] : []));
    if (tokenIds.length > 0) {
      const rows = this.db
        .prepare(`SELECT feature, sum(hits) AS hits, max(best) AS best FROM token_features WHERE token IN (${tokenIds.map(() => '?').join(',')}) GROUP BY feature ORDER BY hits DESC, best DESC LIMIT ?`)
        .all(...tokenIds, limit) as { feature: number; hits: number; best: number }[];
      for (const r of rows) if (!hits.some((h) => h.feature === r.feature)) hits.push({ feature: r.feature, reason: `${r.hits} top example(s) peak on "${q}"`, hits: r.hits, best: r.best });
    }
    return hits.slice(0, limit);
  }
}
