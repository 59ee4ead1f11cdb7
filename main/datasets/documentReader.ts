/**
 * Documents of a dataset, in the one order every job uses (index, training, experiments), so two
 * runs over the same dataset number its documents identically:
 *  - a .txt file: one document per line;
 *  - .jsonl / .json (an array) / .parquet: one document per row, its text from the text column
 *    (a JSON array of strings needs none);
 *  - a folder (an HF dataset snapshot, shards): its data files in path order, numbering on.
 * A document's number is its row's index in that order, counted from 0 whether or not the row
 * is usable: rows that are blank, not JSON, or whose text column is missing or not text are
 * skipped and reported, and leave a gap, so numbering never depends on what was skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { formatBytes } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { datasetFormatOf, findDatasetFiles, type DatasetFormat } from '../formats/datasetFiles';
import { openReadStream, openRegularFile, READ_FLAGS, readTextFile, withFile } from '../formats/openedFile';

export interface DatasetDocument {
  document: number;
  text: string;
}

export interface SkippedRow {
  document: number;
  file: string;
  reason: string;
}

/** Where a dataset's rows come from and which field holds the text. */
export interface DatasetPlan {
  path: string;
  files: { file: string; format: DatasetFormat }[];
  /** Column / key holding the text; null when rows are bare strings (text lines, JSON string arrays). */
  textColumn: string | null;
  /** Total rows when every file's count is cheap to know (parquet footers, line counts); else null. */
  rows: number | null;
}

const SAMPLE_ROWS = 200;
/** Text files up to this size are line-counted up front (for progress); larger ones are not. */
const ROW_COUNT_BYTES = 64 * 1024 * 1024;
const PARQUET_BATCH_ROWS = 2048;
/** .json files are parsed whole: above this they must be converted to JSON Lines. */
const JSON_WHOLE_FILE_LIMIT = 512 * 1024 * 1024;
/** Preferred text columns, in order, when none is named. */
const TEXT_COLUMN_NAMES = ['text', 'content', 'document', 'story', 'sentence', 'body'];

function datasetError(code: string, message: string, hint: string): WorkbenchError {
  return new WorkbenchError(code, message, hint);
}

/** The data files at `input` (a file or a folder), each with its format. */
export function datasetFiles(input: string): { file: string; format: DatasetFormat }[] {
  const resolved = path.resolve(input);
  let st: fs.Stats;
  try {
    st = fs.statSync(resolved);
  } catch {
    throw datasetError('DATASET_NOT_FOUND', `The dataset ${resolved} does not exist.`, 'Give a .txt, .jsonl, .json or .parquet file, or a folder holding such files (an HF dataset snapshot).');
  }
  const files = st.isDirectory() ? findDatasetFiles(resolved) : [resolved];
  const out = files.map((file) => {
    const format = datasetFormatOf(file);
    if (!format) throw datasetError('DATASET_INVALID', `${file}: is not a dataset file (.txt, .jsonl, .json or .parquet).`, 'Choose a .txt, .jsonl, .json or .parquet file, or a folder of them.');
    return { file, format };
  });
  if (out.length === 0) throw datasetError('DATASET_EMPTY', `${resolved} holds no data files (.txt, .jsonl, .json or .parquet).`, 'Choose a dataset file, or the folder of a downloaded HF dataset.');
  return out;
}

/** Rows as parsed values (strings, records, or a parse failure), in order: the basis of every reader here. */
type RawRow = { kind: 'value'; value: unknown } | { kind: 'bad'; reason: string };

async function* textLines(file: string, startRow = 0): AsyncGenerator<{ row: number; line: string }> {
  const stream = openReadStream(file, { highWaterMark: 1 << 20 });
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  let row = 0;
  try {
    for await (const chunk of stream) {
      carry += decoder.decode(chunk as Buffer, { stream: true });
      let nl: number;
      while ((nl = carry.indexOf('\n')) >= 0) {
        const line = carry.slice(0, nl);
        carry = carry.slice(nl + 1);
        if (row >= startRow) yield { row, line: line.endsWith('\r') ? line.slice(0, -1) : line };
        row++;
      }
    }
    carry += decoder.decode();
    if (carry.length > 0 && row >= startRow) yield { row, line: carry.endsWith('\r') ? carry.slice(0, -1) : carry };
  } catch (err) {
    if (err instanceof WorkbenchError) throw err;
    throw datasetError('DATASET_READ_FAILED', `${file}: could not be read (${(err as Error).message}).`, 'Check that the file is readable and complete.');
  } finally {
    stream.destroy();
  }
}

async function* rawRows(file: string, format: DatasetFormat, startRow: number): AsyncGenerator<{ row: number; raw: RawRow }> {
  if (format === 'text') {
    for await (const { row, line } of textLines(file, startRow)) yield { row, raw: { kind: 'value', value: line } };
    return;
  }
  if (format === 'jsonl' || (format === 'json' && isJsonLines(file))) {
    for await (const { row, line } of textLines(file, startRow)) {
      if (line.trim().length === 0) yield { row, raw: { kind: 'bad', reason: 'blank line' } };
      else {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (err) {
          yield { row, raw: { kind: 'bad', reason: `not JSON (${(err as Error).message})` } };
          continue;
        }
        yield { row, raw: { kind: 'value', value } };
      }
    }
    return;
  }
  if (format === 'json') {
    const rows = readJsonArray(file);
    for (let row = startRow; row < rows.length; row++) yield { row, raw: { kind: 'value', value: rows[row] } };
    return;
  }
  yield* parquetRows(file, startRow);
}

/** HF's json loader reads a .json whose first line is a JSON value as JSON Lines. */
function isJsonLines(file: string): boolean {
  return withFile(file, (fd) => {
    const head = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    const text = head.subarray(0, n).toString('utf8');
    const first = text.split('\n').find((l) => l.trim().length > 0);
    if (first === undefined || !text.includes('\n')) return false;
    const trimmed = first.trim();
    if (trimmed === '[' || trimmed.startsWith('[')) return false;
    try {
      JSON.parse(trimmed);
      return true;
    } catch {
      return false;
    }
  });
}

function readJsonArray(file: string): unknown[] {
  let text: string;
  try {
    text = readTextFile(file, JSON_WHOLE_FILE_LIMIT);
  } catch (err) {
    if ((err as WorkbenchError).code !== 'FILE_TOO_LARGE') throw err;
    throw datasetError('DATASET_TOO_LARGE', `${file}: a .json file is read whole, and this one is over the ${formatBytes(JSON_WHOLE_FILE_LIMIT)} limit.`, 'Convert it to JSON Lines (one record per line, .jsonl), which is streamed.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw datasetError('DATASET_INVALID', `${file}: is not valid JSON (${(err as Error).message}).`, 'Fix the file, or save it as JSON Lines (.jsonl) so one bad row does not spoil the rest.');
  }
  if (!Array.isArray(value)) throw datasetError('DATASET_INVALID', `${file}: holds a JSON ${value === null ? 'null' : typeof value}, not an array of rows.`, 'A .json dataset is an array of strings or of records such as {"text": "..."}.');
  return value;
}

function parquetBuffer(file: string): AsyncBuffer {
  const { fd, size } = openRegularFile(file);
  fs.closeSync(fd);
  return {
    byteLength: size,
    async slice(start: number, end?: number) {
      const stop = end ?? size;
      const buf = Buffer.alloc(Math.max(0, stop - start));
      const handle = await fs.promises.open(file, READ_FLAGS);
      try {
        await handle.read(buf, 0, buf.length, start);
      } finally {
        await handle.close();
      }
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    },
  };
}

async function parquetMeta(file: string): Promise<{ buffer: AsyncBuffer; meta: FileMetaData }> {
  const buffer = parquetBuffer(file);
  try {
    return { buffer, meta: await parquetMetadataAsync(buffer) };
  } catch (err) {
    throw datasetError('DATASET_INVALID', `${file}: is not a valid parquet file (${(err as Error).message}).`, 'The file is damaged or not parquet; download it again.');
  }
}

/** Top-level columns of a parquet file (nested ones cannot hold a document's text). */
function parquetColumns(meta: FileMetaData): string[] {
  return parquetSchema(meta).children.map((c) => c.element.name);
}

async function* parquetRows(file: string, startRow: number, columns?: string[]): AsyncGenerator<{ row: number; raw: RawRow }> {
  const { buffer, meta } = await parquetMeta(file);
  const total = Number(meta.num_rows);
  for (let start = startRow; start < total; start += PARQUET_BATCH_ROWS) {
    const end = Math.min(total, start + PARQUET_BATCH_ROWS);
    let rows: Record<string, unknown>[] = [];
    try {
      await parquetRead({ file: buffer, metadata: meta, rowStart: start, rowEnd: end, columns, rowFormat: 'object', compressors, onComplete: (r) => (rows = r as Record<string, unknown>[]) });
    } catch (err) {
      throw datasetError('DATASET_INVALID', `${file}: rows ${start}-${end - 1} cannot be decoded (${(err as Error).message}).`, 'The parquet file is damaged; download it again.');
    }
    for (let i = 0; i < rows.length; i++) yield { row: start + i, raw: { kind: 'value', value: rows[i] } };
  }
}

/** Rows of a file without parsing them: parquet footers, line counts, JSON array lengths. */
async function countFileRows(file: string, format: DatasetFormat): Promise<number> {
  if (format === 'parquet') return Number((await parquetMeta(file)).meta.num_rows);
  if (format === 'json' && !isJsonLines(file)) return readJsonArray(file).length;
  let n = 0;
  for await (const _ of textLines(file)) n++;
  return n;
}

/** What a text column must hold: a non-empty string. */
function textOf(value: unknown, column: string | null): { text: string } | { reason: string } {
  if (column === null) {
    if (typeof value === 'string') return value.trim().length > 0 ? { text: value } : { reason: 'empty text' };
    return { reason: `a ${value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value}, not text` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { reason: `not a record with a "${column}" field` };
  const v = (value as Record<string, unknown>)[column];
  if (v === undefined) return { reason: `no "${column}" field` };
  if (typeof v !== 'string') return { reason: `"${column}" is ${v === null ? 'null' : typeof v}, not text` };
  return v.trim().length > 0 ? { text: v } : { reason: `"${column}" is empty` };
}

/** The text column: the one asked for (checked), else a well-known name, else the most common string field. */
function chooseTextColumn(sample: unknown[], requested: string | null | undefined, where: string, known: string[] = []): string | null {
  const records = sample.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v));
  const strings = sample.filter((v) => typeof v === 'string').length;
  if (requested) {
    const seen = new Set([...known, ...records.flatMap((r) => Object.keys(r))]);
    if (records.length > 0 && !seen.has(requested)) {
      throw datasetError('DATASET_NO_TEXT_COLUMN', `${where}: has no column "${requested}" (columns: ${[...seen].join(', ') || 'none'}).`, 'Choose one of the listed columns as the text column.');
    }
    return requested;
  }
  if (strings > 0 && strings >= records.length) return null;
  const counts = new Map<string, number>();
  for (const r of records) for (const [k, v] of Object.entries(r)) if (typeof v === 'string') counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const k of known) if (!counts.has(k) && records.length === 0) counts.set(k, 0);
  const named = TEXT_COLUMN_NAMES.find((n) => counts.has(n));
  if (named) return named;
  const best = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  if (!best || best[1] === 0) {
    const columns = [...new Set([...known, ...records.flatMap((r) => Object.keys(r))])];
    throw datasetError('DATASET_NO_TEXT', `${where}: no column holds text${columns.length ? ` (columns: ${columns.join(', ')})` : ''}.`, 'Name the column that holds the documents\' text (--text-column), or choose a dataset of texts.');
  }
  return best[0];
}

/**
 * Look at a dataset before a job starts: its files, the text column (named or detected from the
 * first rows), and whether any usable row exists. Refuses a dataset with no usable rows in that
 * sample with the reason, so a job never starts on one.
 */
export async function planDataset(input: string, textColumn?: string | null): Promise<DatasetPlan> {
  const files = datasetFiles(input);
  const first = files[0];
  const sample: unknown[] = [];
  const reasons: string[] = [];
  let known: string[] = [];
  if (first.format === 'parquet') {
    const { meta } = await parquetMeta(first.file);
    known = parquetColumns(meta);
  }
  for (const f of files) {
    for await (const { raw } of rawRows(f.file, f.format, 0)) {
      if (raw.kind === 'value') sample.push(raw.value);
      else reasons.push(raw.reason);
      if (sample.length + reasons.length >= SAMPLE_ROWS) break;
    }
    if (sample.length + reasons.length >= SAMPLE_ROWS) break;
  }
  const where = files.length === 1 ? first.file : path.resolve(input);
  if (sample.length === 0) {
    throw datasetError('DATASET_NO_USABLE_ROWS', `${where}: has no usable rows${reasons.length ? ` (${summariseReasons(reasons)})` : ' (it is empty)'}.`, 'Choose a dataset with text rows: lines of a .txt, or records with a text field.');
  }
  const column = first.format === 'text' ? null : chooseTextColumn(sample, textColumn, where, known);
  const usable = sample.filter((v) => 'text' in textOf(v, column)).length;
  if (usable === 0) {
    const why = sample.map((v) => textOf(v, column)).map((r) => ('reason' in r ? r.reason : '')).filter(Boolean);
    throw datasetError('DATASET_NO_USABLE_ROWS', `${where}: none of the first ${sample.length + reasons.length} rows has text${column ? ` in "${column}"` : ''} (${summariseReasons([...reasons, ...why])}).`, 'Choose the column that holds the text, or fix the rows.');
  }
  // Counting is cheap for parquet (footers); text files are counted only when small.
  let rows: number | null = 0;
  for (const f of files) {
    const cheap = f.format === 'parquet' || fs.statSync(f.file).size <= ROW_COUNT_BYTES;
    rows = rows === null || !cheap ? null : rows + (await countFileRows(f.file, f.format));
  }
  return { path: path.resolve(input), files, textColumn: column, rows };
}

function summariseReasons(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts.entries()]
    .slice(0, 3)
    .map(([r, n]) => `${n} × ${r}`)
    .join('; ');
}

/**
 * The documents of a planned dataset, from document `startDocument` on. Skipped rows are
 * reported through `onSkip` (they keep their number: the next usable row does not take it).
 */
export async function* readDocuments(plan: DatasetPlan, options: { startDocument?: number; onSkip?: (s: SkippedRow) => void } = {}): AsyncGenerator<DatasetDocument> {
  const start = options.startDocument ?? 0;
  let offset = 0;
  for (const f of plan.files) {
    // Resuming: files wholly before `start` are counted, not parsed.
    if (offset < start) {
      const count = await countFileRows(f.file, f.format);
      if (offset + count <= start) {
        offset += count;
        continue;
      }
    }
    const local = Math.max(0, start - offset);
    const columns = f.format === 'parquet' && plan.textColumn ? [plan.textColumn] : undefined;
    const rows = f.format === 'parquet' ? parquetRows(f.file, local, columns) : rawRows(f.file, f.format, local);
    let last = -1;
    for await (const { row, raw } of rows) {
      last = row;
      const document = offset + row;
      if (raw.kind === 'bad') {
        options.onSkip?.({ document, file: f.file, reason: raw.reason });
        continue;
      }
      const t = textOf(raw.value, f.format === 'text' ? null : plan.textColumn);
      if ('reason' in t) options.onSkip?.({ document, file: f.file, reason: t.reason });
      else yield { document, text: t.text };
    }
    offset += Math.max(last + 1, local);
  }
}
