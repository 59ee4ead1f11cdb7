/**
 * Reads a finished index the way the Features page and `sae-workbench feature` need it: every
 * feature's headline numbers as columns, one feature's full page (top and interval examples in
 * context, histogram, logit effects, neighbours), and search by token. Examples' contexts come
 * from the corpus (tokens) and the sparse store (the feature's activation at each token).
 */
import type { CrosscoderFeatureFacts, FeatureDetail, FeatureExample, FeatureListing, FeatureNeighbour, FeatureSearchHit, LogitEntry } from '../../preload/api';
import { StoreDamage } from '../db/sqliteFile';
import { WorkbenchError } from '../errors';
import { CorpusStore, corpusFile } from './corpusStore';
import { HISTOGRAM_BINS, OTHER_LOGIT_RANK } from './finalizeIndex';
import { deltaNorm } from '../compare/crosscoderAnalysis';
import type { CrosscoderIndexFacts } from './buildIndex';

/** Logit rows (one decoder's: positive ranks up, negative down) as the page shows them; null when none. */
function logitsOf(rows: { rank: number; token: number; value: number }[], entry: (r: { token: number; value: number }) => LogitEntry): FeatureDetail['logits'] {
  if (rows.length === 0) return null;
  return { positive: rows.filter((r) => r.rank >= 0).sort((a, b) => a.rank - b.rank).map(entry), negative: rows.filter((r) => r.rank < 0).sort((a, b) => b.rank - a.rank).map(entry) };
}
import { indexFile, IndexStore } from './indexDatabase';
import type { IndexRecord } from './indexRegistry';
import { IndexDigests, IndexRowQueries, type ExampleRow, type StatRow } from './indexRows';
import { blockOffsets, decodeBlock, featureTrace, type BlockRow, type SparseBlock } from './sparseBlocks';

export class FeatureIndexReader {
  readonly store: IndexStore;
  readonly corpus: CorpusStore;
  readonly dSae: number;
  readonly tokens: number;
  readonly contextSize: number;
  readonly contextBefore: number;
  readonly contextAfter: number;
  private readonly queries: IndexRowQueries;
  /** Null for format 1 files (no checksums: structural checks only). */
  private readonly digests: IndexDigests | null;
  private readonly blockRows;

  constructor(
    readonly home: string,
    readonly record: IndexRecord,
  ) {
    if (record.state !== 'ready') {
      throw new WorkbenchError('INDEX_NOT_READY', `The index ${record.id} is ${record.state}${record.error ? ` (${record.error.message})` : ''}.`, record.state === 'building' ? 'Wait for its build job to finish (see the Queue).' : 'Retry its build job from the Queue, or remove it and build again.');
    }
    this.store = IndexStore.open(indexFile(home, record.id));
    try {
      this.corpus = CorpusStore.openForReading(corpusFile(home, record.corpusId));
    } catch (err) {
      this.store.close();
      throw err;
    }
    this.dSae = record.dSae;
    this.tokens = record.summary?.tokens ?? 0;
    this.contextBefore = record.params.contextBefore;
    this.contextAfter = record.params.contextAfter;
    try {
      this.contextSize = this.store.meta<number>('contextSize');
      const db = this.store.db;
      this.queries = this.store.read(() => new IndexRowQueries(db));
      this.digests = this.store.checked ? this.store.read(() => new IndexDigests(db)) : null;
      this.blockRows = this.store.read(() => db.prepare(`SELECT document, start, counts, features, vals, ${this.store.checked ? 'crc' : 'NULL'} AS crc FROM blocks WHERE document = ? AND start > ? AND start <= ? ORDER BY start`));
    } catch (err) {
      this.close();
      throw err;
    }
  }

  close(): void {
    this.store.close();
    this.corpus.close();
  }

  /** Damage a read of this index or its token store found: such a reader serves nothing more. */
  get failed(): WorkbenchError | null {
    return this.store.failed ?? this.corpus.failed;
  }

  requireFeature(feature: number): void {
    if (!Number.isInteger(feature) || feature < 0 || feature >= this.dSae) {
      throw new WorkbenchError('FEATURE_OUT_OF_RANGE', `Feature ${feature} does not exist in this SAE (d_sae ${this.dSae}: features 0..${this.dSae - 1}).`, 'Pick a feature id in range.');
    }
  }

  /** Every feature's stats row, in feature order (checked against the table's checksum). */
  statRows(): StatRow[] {
    return this.store.read(() => {
      const rows = this.queries.stats();
      this.digests?.requireStats(rows);
      if (rows.some((r, i) => r.feature !== i) || rows.length !== this.dSae) throw new StoreDamage(`its feature_stats table holds ${rows.length} rows for ${this.dSae} features, or rows out of order`);
      return rows;
    });
  }

  listing(): FeatureListing {
    const rows = this.statRows();
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
    return this.store.read(() => {
      const rows = this.blockRows.all(document, from - this.contextSize, to) as BlockRow[];
      return rows.map((r) => decodeBlock(r, this.dSae, this.store.checked)).filter((b) => b.start + b.counts.length > from);
    });
  }

  /** The whole sparse store, block by block in (document, position) order, each block checked. */
  blocks(): Generator<SparseBlock> {
    const sql = `SELECT document, start, counts, features, vals, ${this.store.checked ? 'crc' : 'NULL'} AS crc FROM blocks ORDER BY document, start`;
    return this.store.rows(
      () => this.store.db.prepare(sql).iterate(),
      (row: BlockRow) => decodeBlock(row, this.dSae, this.store.checked),
    );
  }

  /** The documents the sparse store covers, in order. */
  documentIds(): number[] {
    return this.store.read(() => (this.store.db.prepare('SELECT DISTINCT document FROM blocks ORDER BY document').all() as { document: number }[]).map((r) => r.document));
  }

  /** An example with `before` tokens before and `after` after, and the feature's activation at each. */
  example(feature: number, document: number, position: number, activation: number, vocab = this.corpus.vocab()): FeatureExample {
    const tokens = this.corpus.tokens(document);
    if (!tokens) throw new WorkbenchError('CORPUS_INCOMPLETE', `Document ${document} is missing from this index's token store.`, 'Rebuild the index.');
    if (!Number.isInteger(position) || position < 0 || position >= tokens.length) throw this.store.fail(new StoreDamage(`an example of feature ${feature} lies at position ${position} of document ${document}, which has ${tokens.length} tokens`));
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
    const page = this.store.read(() => {
      const rows = this.queries.featurePage(feature);
      this.digests?.requireFeaturePage(feature, rows);
      if (!rows.stat) throw new StoreDamage(`it has no statistics for feature ${feature}`);
      if (rows.histogram && rows.histogram.byteLength !== HISTOGRAM_BINS * 4) throw new StoreDamage(`the histogram of feature ${feature} is ${rows.histogram.byteLength} bytes`);
      return rows;
    });
    const stat = page.stat!;
    const vocab = this.corpus.vocab();
    const examples: ExampleRow[] = page.examples;
    const inContext = (e: ExampleRow) => this.example(feature, e.document, e.position, e.activation, vocab);
    const intervals = page.intervals.map((iv) => ({
      lower: iv.lower,
      upper: iv.upper,
      count: iv.count,
      share: stat.fire_count > 0 ? iv.count / stat.fire_count : 0,
      examples: examples.filter((e) => e.kind === iv.interval).map(inContext),
    }));
    const hist = page.histogram;
    const logitRows = page.logits;
    const entry = (r: { token: number; value: number }): LogitEntry => ({ token: r.token, text: vocab[r.token] ?? `<${r.token}>`, value: r.value });
    const neighbours = page.neighbours;
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
      histogram: { lower: 0, upper: stat.max, counts: hist ? Array.from(new Uint32Array(Uint8Array.from(hist).buffer)) : new Array(HISTOGRAM_BINS).fill(0) },
      logits: logitsOf(logitRows.filter((r) => r.rank > -OTHER_LOGIT_RANK && r.rank < OTHER_LOGIT_RANK), entry),
      similar: of('similar'),
      correlated: of('correlated'),
      crosscoder: this.crosscoderFacts(feature, logitsOf(logitRows.filter((r) => r.rank >= OTHER_LOGIT_RANK || r.rank <= -OTHER_LOGIT_RANK), entry)),
    };
  }

  /** Crosscoder indexes: the latent's two decoders (index meta "crosscoder"), else null. */
  private crosscoderFacts(feature: number, logitsA: FeatureDetail['logits']): CrosscoderFeatureFacts | null {
    const facts = this.store.optionalMeta<CrosscoderIndexFacts>('crosscoder');
    if (!facts) return null;
    const normA = facts.normA[feature];
    const normB = facts.normB[feature];
    const dn = deltaNorm(normA, normB);
    return { modelA: facts.modelA, modelB: facts.modelB, hookA: facts.hookA, hookB: facts.hookB, normA, normB, deltaNorm: Number.isNaN(dn) ? null : dn, cosAb: facts.cosAb[feature] ?? null, logitsA };
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
      // Each token's rows are checked against its digest, then summed over the tokens here.
      const byFeature = new Map<number, { hits: number; best: number }>();
      this.store.read(() => {
        for (const token of tokenIds) {
          const rows = this.queries.tokenRows(token);
          this.digests?.requireTokenRows(token, rows);
          for (const r of rows) {
            const h = byFeature.get(r.feature) ?? { hits: 0, best: Number.NEGATIVE_INFINITY };
            h.hits += r.hits;
            h.best = Math.max(h.best, r.best);
            byFeature.set(r.feature, h);
          }
        }
      });
      const ranked = [...byFeature.entries()].sort((x, y) => y[1].hits - x[1].hits || y[1].best - x[1].best || x[0] - y[0]).slice(0, limit);
      for (const [feature, r] of ranked) if (!hits.some((h) => h.feature === feature)) hits.push({ feature, reason: `${r.hits} top example(s) peak on "${q}"`, hits: r.hits, best: r.best });
    }
    return hits.slice(0, limit);
  }
}
