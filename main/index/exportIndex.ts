/**
 * An index as Parquet files that pandas and DuckDB read as they are:
 *   feature_stats.parquet  feature, fire_count, tokens, density, max, mean, sum, sum_sq, decoder_norm,
 *                          label, note (the user's labels of this SAE's features; null when unset)
 *   activations.parquet    document, position, feature, activation  (the whole sparse store)
 *   tokens.parquet         document, position, token_id, token      (the indexed documents)
 *   index.json             what it was built from (parameters, provenance hashes, summary)
 * Written row group by row group (bounded memory) into a staging folder, then renamed into place
 * by the output rule (outputs/outputPath): checked before any work, never over the index's own
 * files, existing files replaced only when the user asked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import { fileWriter } from 'hyparquet-writer';
import type { FeatureLabel } from '../../preload/api';
import { planOutput, writeOutputFolder, type OutputChoice } from '../outputs/outputPath';
import { corpusFile } from './corpusStore';
import { indexFile } from './indexDatabase';
import type { FeatureIndexReader } from './indexReader';
import { blockOffsets } from './sparseBlocks';

const ROW_GROUP = 1 << 20;

export interface ExportedIndex {
  dir: string;
  files: string[];
  activationRows: number;
  tokenRows: number;
}

export const EXPORT_FILES = ['feature_stats.parquet', 'activations.parquet', 'tokens.parquet', 'index.json'] as const;

/** One Parquet file written in row groups (into the staging folder). */
class ChunkedParquet {
  private writer: ParquetWriter | null = null;

  constructor(private readonly file: string) {}

  write(columns: ColumnSource[]): void {
    if (columns[0].data.length === 0) return;
    if (!this.writer) this.writer = new ParquetWriter({ writer: fileWriter(this.file), schema: schemaFromColumnData({ columnData: columns }) });
    this.writer.write({ columnData: columns, rowGroupSize: ROW_GROUP });
  }

  finish(empty: ColumnSource[]): void {
    if (!this.writer) this.writer = new ParquetWriter({ writer: fileWriter(this.file), schema: schemaFromColumnData({ columnData: empty }) });
    this.writer.finish();
  }
}

/** `labels`: the SAE's feature labels (main/labels), written beside the stats. */
export function exportIndexParquet(reader: FeatureIndexReader, out: OutputChoice, labels: readonly FeatureLabel[] = []): ExportedIndex {
  const planned = planOutput({
    ...out,
    kind: 'folder',
    files: EXPORT_FILES,
    inputs: [
      { label: `the index ${reader.record.id}`, path: indexFile(reader.home, reader.record.id) },
      { label: 'its corpus', path: corpusFile(reader.home, reader.record.corpusId) },
    ],
  });
  const { result, dir } = writeOutputFolder(planned, (stage) => writeExport(reader, stage, labels), { completeMarker: 'index.json' });
  return { ...result, dir, files: EXPORT_FILES.map((f) => path.join(dir, f)) };
}

function writeExport(reader: FeatureIndexReader, dir: string, labels: readonly FeatureLabel[]): { activationRows: number; tokenRows: number } {
  const listing = reader.listing();
  const stats = reader.statRows();
  const n = listing.fireCount.length;
  const label: (string | null)[] = new Array(n).fill(null);
  const note: (string | null)[] = new Array(n).fill(null);
  for (const l of labels) {
    if (l.feature >= n) continue;
    label[l.feature] = l.label;
    note[l.feature] = l.note;
  }
  const statsFile = new ChunkedParquet(path.join(dir, 'feature_stats.parquet'));
  const statColumns = (): ColumnSource[] => [
    { name: 'feature', data: Int32Array.from({ length: n }, (_, i) => i), type: 'INT32', nullable: false },
    { name: 'fire_count', data: BigInt64Array.from(listing.fireCount, (v) => BigInt(v)), type: 'INT64', nullable: false },
    { name: 'tokens', data: BigInt64Array.from({ length: n }, () => BigInt(listing.tokens)), type: 'INT64', nullable: false },
    { name: 'density', data: Float64Array.from(listing.density), type: 'DOUBLE', nullable: false },
    { name: 'max', data: Float64Array.from(listing.max), type: 'DOUBLE', nullable: false },
    { name: 'mean', data: Float64Array.from(listing.mean), type: 'DOUBLE', nullable: false },
    { name: 'sum', data: Float64Array.from(stats, (r) => r.sum), type: 'DOUBLE', nullable: false },
    { name: 'sum_sq', data: Float64Array.from(stats, (r) => r.sum_sq), type: 'DOUBLE', nullable: false },
    { name: 'decoder_norm', data: Float64Array.from(listing.decoderNorm), type: 'DOUBLE', nullable: false },
    { name: 'label', data: label, type: 'STRING', nullable: true },
    { name: 'note', data: note, type: 'STRING', nullable: true },
  ];
  statsFile.write(statColumns());
  statsFile.finish(statColumns());

  // The sparse store, block by block, flushed every ROW_GROUP rows.
  const acts = new ChunkedParquet(path.join(dir, 'activations.parquet'));
  const buf = { document: new Int32Array(ROW_GROUP), position: new Int32Array(ROW_GROUP), feature: new Int32Array(ROW_GROUP), activation: new Float32Array(ROW_GROUP) };
  let used = 0;
  let activationRows = 0;
  const actColumns = (m: number): ColumnSource[] => [
    { name: 'document', data: buf.document.subarray(0, m), type: 'INT32', nullable: false },
    { name: 'position', data: buf.position.subarray(0, m), type: 'INT32', nullable: false },
    { name: 'feature', data: buf.feature.subarray(0, m), type: 'INT32', nullable: false },
    { name: 'activation', data: buf.activation.subarray(0, m), type: 'FLOAT', nullable: false },
  ];
  const flush = () => {
    acts.write(actColumns(used));
    activationRows += used;
    used = 0;
  };
  for (const block of reader.blocks()) {
    const offsets = blockOffsets(block.counts);
    for (let p = 0; p < block.counts.length; p++) {
      for (let j = offsets[p]; j < offsets[p + 1]; j++) {
        buf.document[used] = block.document;
        buf.position[used] = block.start + p;
        buf.feature[used] = block.features[j];
        buf.activation[used] = block.values[j];
        if (++used === ROW_GROUP) flush();
      }
    }
  }
  flush();
  acts.finish(actColumns(0));

  // The documents this index covers (its blocks' documents), token by token.
  const tokensFile = new ChunkedParquet(path.join(dir, 'tokens.parquet'));
  const vocab = reader.corpus.vocab();
  const documents = reader.documentIds();
  let tokenRows = 0;
  let tdoc: number[] = [];
  let tpos: number[] = [];
  let tid: number[] = [];
  let ttext: string[] = [];
  const tokenColumns = (): ColumnSource[] => [
    { name: 'document', data: Int32Array.from(tdoc), type: 'INT32', nullable: false },
    { name: 'position', data: Int32Array.from(tpos), type: 'INT32', nullable: false },
    { name: 'token_id', data: Int32Array.from(tid), type: 'INT32', nullable: false },
    { name: 'token', data: ttext, type: 'STRING', nullable: false },
  ];
  const flushTokens = () => {
    tokensFile.write(tokenColumns());
    tokenRows += tdoc.length;
    tdoc = [];
    tpos = [];
    tid = [];
    ttext = [];
  };
  for (const document of documents) {
    const ids = reader.corpus.tokens(document);
    if (!ids) continue;
    ids.forEach((t, p) => {
      tdoc.push(document);
      tpos.push(p);
      tid.push(t);
      ttext.push(vocab[t] ?? '');
    });
    if (tdoc.length >= ROW_GROUP) flushTokens();
  }
  flushTokens();
  tokensFile.finish(tokenColumns());

  const { params, provenance, ...record } = reader.record;
  const manifest = {
    index: record,
    params,
    provenance,
    files: {
      'feature_stats.parquet': "one row per feature: fire_count over tokens (non-BOS) = density; mean = sum / fire_count; label and note are the user's (null when unset)",
      'activations.parquet': 'one row per fired latent: (document, position) as in tokens.parquet; BOS is never indexed',
      'tokens.parquet': 'one row per token of each indexed document; position 0 is BOS when prepended',
    },
  };
  fs.writeFileSync(path.join(dir, 'index.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { activationRows, tokenRows };
}
