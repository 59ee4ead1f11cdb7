/**
 * Recognising dataset files (.jsonl, .json, .txt, .parquet) and counting their rows when that is
 * cheap: text formats are streamed (never loaded whole) up to a size limit; parquet row counts come
 * from the footer metadata alone.
 */
import { existsSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { WorkbenchError } from '../errors';
import { withFile } from './openedFile';

export type DatasetFormat = 'jsonl' | 'json' | 'text' | 'parquet';

export interface DatasetFileInfo {
  file: string;
  format: DatasetFormat;
  bytes: number;
  /** Rows (jsonl/text: non-blank lines; json: array length; parquet: num_rows), null when not cheap to know. */
  rows: number | null;
  /** .json only, when parsed: an object (a config or manifest, not rows) vs an array of records. */
  topLevel?: 'array' | 'object' | 'scalar';
}

/** Text files above this are not scanned for row counts (inspect must stay interactive). */
export const ROW_COUNT_TEXT_LIMIT = 256 * 1024 * 1024;
const JSON_PARSE_LIMIT = 64 * 1024 * 1024;

export function datasetFormatOf(file: string): DatasetFormat | null {
  const lower = file.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.parquet')) return 'parquet';
  if (lower.endsWith('.txt')) return 'text';
  if (lower.endsWith('.json')) return 'json';
  return null;
}

function countNonBlankLines(fd: number, size: number): number {
  const chunk = new Uint8Array(1 << 20);
  let rows = 0;
  let lineHasText = false;
  for (let pos = 0; pos < size; ) {
    const n = readSync(fd, chunk, 0, chunk.length, pos);
    if (n === 0) break;
    for (let i = 0; i < n; i++) {
      const b = chunk[i];
      if (b === 0x0a) {
        if (lineHasText) rows++;
        lineHasText = false;
      } else if (b !== 0x0d && b !== 0x20 && b !== 0x09) lineHasText = true;
    }
    pos += n;
  }
  return lineHasText ? rows + 1 : rows;
}

function parquetRows(file: string, fd: number, size: number): number {
  const bad = (why: string) => new WorkbenchError('DATASET_INVALID', `${file}: is not a valid parquet file (${why}).`, 'The file is damaged or not parquet; re-download it.');
  if (size < 12) throw bad(`${size} bytes is too short`);
  const tail = new Uint8Array(8);
  readSync(fd, tail, 0, 8, size - 8);
  const view = new DataView(tail.buffer);
  if (view.getUint32(4, true) !== 0x31524150) throw bad('no PAR1 footer');
  const metaLength = view.getUint32(0, true);
  if (metaLength > size - 12) throw bad(`footer metadata length ${metaLength} exceeds the file`);
  const footer = new Uint8Array(metaLength + 8);
  readSync(fd, footer, 0, metaLength + 8, size - 8 - metaLength);
  try {
    return Number(parquetMetadata(footer).num_rows);
  } catch (err) {
    throw bad((err as Error).message);
  }
}

/** The first non-blank line parses as JSON: how Hugging Face's json loader tells JSON Lines in a .json file. */
function looksLikeJsonLines(text: string): boolean {
  const first = text.split('\n').find((l) => l.trim().length > 0);
  if (first === undefined) return false;
  try {
    JSON.parse(first);
    return true;
  } catch {
    return false;
  }
}

export function datasetFileInfo(file: string): DatasetFileInfo {
  const format = datasetFormatOf(file);
  if (!format) throw new WorkbenchError('DATASET_INVALID', `${file}: is not a dataset file (.jsonl, .json, .txt or .parquet).`, 'Choose a .jsonl, .json, .txt or .parquet file, or a folder of them.');
  return withFile(file, (fd, size) => {
    if (format === 'parquet') return { file, format, bytes: size, rows: parquetRows(file, fd, size) };
    if (format === 'jsonl' || format === 'text') return { file, format, bytes: size, rows: size <= ROW_COUNT_TEXT_LIMIT ? countNonBlankLines(fd, size) : null };
    if (size > JSON_PARSE_LIMIT) return { file, format, bytes: size, rows: null };
    const buf = new Uint8Array(size);
    readSync(fd, buf, 0, size, 0);
    const text = new TextDecoder().decode(buf);
    try {
      const v = JSON.parse(text) as unknown;
      return { file, format, bytes: size, rows: Array.isArray(v) ? v.length : null, topLevel: Array.isArray(v) ? 'array' : typeof v === 'object' && v !== null ? 'object' : 'scalar' };
    } catch (err) {
      if (looksLikeJsonLines(text)) return { file, format: 'jsonl', bytes: size, rows: countNonBlankLines(fd, size) };
      throw new WorkbenchError('DATASET_INVALID', `${file}: is neither JSON nor JSON Lines (${(err as Error).message}).`, 'Fix the file, or save it as JSON Lines (.jsonl) with one record per line.');
    }
  });
}

/** Files that sit in dataset folders but are not data. */
const NOT_DATA = new Set([
  'dataset_info.json',
  'dataset_infos.json',
  'state.json',
  'dataset_dict.json',
  'cfg.json',
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'generation_config.json',
  'vocab.json',
  'activation_scaler.json',
  'runner_cfg.json',
]);
const MAX_DATASET_FILES = 10_000;

/**
 * The data files of a dataset folder (an HF dataset snapshot or a folder of shards), sorted by
 * path so every reader numbers their rows the same way. Model and SAE folders inside are skipped.
 */
export function findDatasetFiles(dir: string, depth = 0, out: string[] = []): string[] {
  if (depth > 3 || out.length >= MAX_DATASET_FILES) return out;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    // Model and SAE folders are never dataset folders, whatever .json files they hold.
    if (e.isDirectory()) {
      if (!existsSync(join(p, 'cfg.json')) && !existsSync(join(p, 'config.json'))) findDatasetFiles(p, depth + 1, out);
    } else if (datasetFormatOf(e.name) && !NOT_DATA.has(e.name) && !e.name.endsWith('.index.json')) out.push(p);
    if (out.length >= MAX_DATASET_FILES) break;
  }
  return out;
}
