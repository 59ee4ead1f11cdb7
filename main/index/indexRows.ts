/**
 * The rows a finished index serves, read one way by the reader and by the seal that writes
 * their checksums (storeChecksums.ts): a feature's page rows, a token's search rows, the stats
 * table. Sealing is the last step of a build: after it, the file's checksums cover every unit
 * a reader returns, so a byte changed anywhere later is found at the next read of it.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection';
import { metaCrc } from './indexDatabase';
import { blockCrc, type BlockRow } from './sparseBlocks';
import { crcOfRows, crcOfValues, requireCrc } from './storeChecksums';

export interface StatRow {
  feature: number;
  fire_count: number;
  sum: number;
  sum_sq: number;
  max: number;
  decoder_norm: number;
}

export interface ExampleRow {
  kind: number;
  rank: number;
  document: number;
  position: number;
  activation: number;
}

export interface IntervalRow {
  interval: number;
  lower: number;
  upper: number;
  count: number;
}

export interface LogitRow {
  rank: number;
  token: number;
  value: number;
}

export interface NeighbourRow {
  kind: string;
  rank: number;
  other: number;
  score: number;
}

export interface TokenFeatureRow {
  feature: number;
  hits: number;
  best: number;
}

/** Everything one feature's page is made of (its examples' contexts come from the blocks and the corpus). */
export interface FeaturePageRows {
  stat: StatRow | undefined;
  examples: ExampleRow[];
  intervals: IntervalRow[];
  histogram: Buffer | null;
  logits: LogitRow[];
  neighbours: NeighbourRow[];
}

const STAT_COLUMNS = ['feature', 'fire_count', 'sum', 'sum_sq', 'max', 'decoder_norm'] as const;
const EXAMPLE_COLUMNS = ['kind', 'rank', 'document', 'position', 'activation'] as const;
const INTERVAL_COLUMNS = ['interval', 'lower', 'upper', 'count'] as const;
const LOGIT_COLUMNS = ['rank', 'token', 'value'] as const;
const NEIGHBOUR_COLUMNS = ['kind', 'rank', 'other', 'score'] as const;
const TOKEN_COLUMNS = ['feature', 'hits', 'best'] as const;

export function featurePageCrc(p: FeaturePageRows): number {
  let c = crcOfValues(p.stat ? STAT_COLUMNS.map((k) => p.stat![k]) : [null]);
  c = crcOfRows(p.examples as unknown as Record<string, unknown>[], EXAMPLE_COLUMNS, c);
  c = crcOfRows(p.intervals as unknown as Record<string, unknown>[], INTERVAL_COLUMNS, c);
  c = crcOfValues([p.histogram], c);
  c = crcOfRows(p.logits as unknown as Record<string, unknown>[], LOGIT_COLUMNS, c);
  return crcOfRows(p.neighbours as unknown as Record<string, unknown>[], NEIGHBOUR_COLUMNS, c);
}

export function tokenRowsCrc(rows: TokenFeatureRow[]): number {
  return crcOfRows(rows as unknown as Record<string, unknown>[], TOKEN_COLUMNS);
}

export function statRowsCrc(rows: StatRow[]): number {
  return crcOfRows(rows as unknown as Record<string, unknown>[], STAT_COLUMNS);
}

/** The statements behind a feature page, a token search and the stats listing. */
export class IndexRowQueries {
  private readonly s: Record<string, Statement<unknown[]>>;

  constructor(readonly db: Db) {
    this.s = {
      stat: db.prepare('SELECT feature, fire_count, sum, sum_sq, max, decoder_norm FROM feature_stats WHERE feature = ?'),
      stats: db.prepare('SELECT feature, fire_count, sum, sum_sq, max, decoder_norm FROM feature_stats ORDER BY feature'),
      examples: db.prepare('SELECT kind, rank, document, position, activation FROM examples WHERE feature = ? ORDER BY kind, rank'),
      intervals: db.prepare('SELECT interval, lower, upper, count FROM intervals WHERE feature = ? ORDER BY interval'),
      histogram: db.prepare('SELECT counts FROM histograms WHERE feature = ?'),
      logits: db.prepare('SELECT rank, token, value FROM logit_effects WHERE feature = ? ORDER BY rank'),
      neighbours: db.prepare('SELECT kind, rank, other, score FROM neighbours WHERE feature = ? ORDER BY kind, rank'),
      tokenRows: db.prepare('SELECT feature, hits, best FROM token_features WHERE token = ? ORDER BY feature'),
    };
  }

  featurePage(feature: number): FeaturePageRows {
    const hist = this.s.histogram.get(feature) as { counts: Buffer } | undefined;
    return {
      stat: this.s.stat.get(feature) as StatRow | undefined,
      examples: this.s.examples.all(feature) as ExampleRow[],
      intervals: this.s.intervals.all(feature) as IntervalRow[],
      histogram: hist ? hist.counts : null,
      logits: this.s.logits.all(feature) as LogitRow[],
      neighbours: this.s.neighbours.all(feature) as NeighbourRow[],
    };
  }

  tokenRows(token: number): TokenFeatureRow[] {
    return this.s.tokenRows.all(token) as TokenFeatureRow[];
  }

  stats(): StatRow[] {
    return this.s.stats.all() as StatRow[];
  }
}

/** The stored checksums of a sealed index, compared with what was read (StoreDamage on a mismatch). */
export class IndexDigests {
  private readonly feature;
  private readonly token;
  private readonly named;

  constructor(db: Db) {
    this.feature = db.prepare('SELECT crc FROM feature_digests WHERE feature = ?');
    this.token = db.prepare('SELECT crc FROM token_digests WHERE token = ?');
    this.named = db.prepare('SELECT crc FROM checksums WHERE name = ?');
  }

  requireFeaturePage(feature: number, rows: FeaturePageRows): void {
    requireCrc((this.feature.get(feature) as { crc?: unknown } | undefined)?.crc, featurePageCrc(rows), `the rows of feature ${feature}`);
  }

  requireTokenRows(token: number, rows: TokenFeatureRow[]): void {
    // A token no top example peaks on has no rows and no digest.
    const stored = (this.token.get(token) as { crc?: unknown } | undefined)?.crc;
    requireCrc(stored === undefined && rows.length === 0 ? tokenRowsCrc([]) : stored, tokenRowsCrc(rows), `the search rows of token ${token}`);
  }

  requireStats(rows: StatRow[]): void {
    requireCrc((this.named.get('feature_stats') as { crc?: unknown } | undefined)?.crc, statRowsCrc(rows), 'the feature_stats table');
  }
}

/**
 * Write the checksums of a finished index (and its summary, so the file alone can be registered
 * again if the app database is lost), in one transaction. Blocks of a format 1 build resumed
 * after the upgrade get theirs here too.
 */
export function sealIndex(db: Db, dSae: number, summary: Record<string, unknown>): void {
  const queries = new IndexRowQueries(db);
  db.transaction(() => {
    db.prepare("INSERT INTO meta (key, value) VALUES ('summary', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(JSON.stringify(summary));
    const setBlock = db.prepare('UPDATE blocks SET crc = ? WHERE id = ?');
    for (const row of db.prepare('SELECT id, document, start, counts, features, vals FROM blocks WHERE crc IS NULL').all() as (BlockRow & { id: number })[]) {
      setBlock.run(blockCrc(row.document, row.start, { counts: row.counts, features: row.features, values: row.vals }), row.id);
    }
    db.exec('DELETE FROM feature_digests; DELETE FROM token_digests; DELETE FROM checksums');
    const feature = db.prepare('INSERT INTO feature_digests (feature, crc) VALUES (?, ?)');
    for (let f = 0; f < dSae; f++) feature.run(f, featurePageCrc(queries.featurePage(f)));
    const token = db.prepare('INSERT INTO token_digests (token, crc) VALUES (?, ?)');
    for (const { token: t } of db.prepare('SELECT DISTINCT token FROM token_features ORDER BY token').all() as { token: number }[]) token.run(t, tokenRowsCrc(queries.tokenRows(t)));
    const named = db.prepare('INSERT INTO checksums (name, crc) VALUES (?, ?)');
    named.run('feature_stats', statRowsCrc(queries.stats()));
    named.run('meta', metaCrc(db.prepare('SELECT key, value FROM meta ORDER BY key').all() as { key: string; value: string }[]));
  })();
}
