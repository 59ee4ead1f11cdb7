/**
 * Reading a file of feature labels: id -> label (and optionally a note), in the shapes people
 * have them in:
 *  - JSON: an array of strings (item i labels feature i, like the demo's feature_labels.json);
 *    an object keyed by id ({"255": "step onset"} or {"255": {"label": ..., "note": ...}});
 *    an array of records ({"feature"|"index"|"id": 255, "label"|"description"|"explanation": ...}),
 *    bare or under "explanations" / "labels" / "features";
 *  - Neuronpedia explanations (the export API's JSON array, or the datasets' JSONL, optionally
 *    .gz): records {modelId, layer, index: "255", description, typeName, explanationModelName};
 *  - JSONL: one record per line;
 *  - CSV (or TSV): columns feature/index/id and label/description/explanation [, note], with or
 *    without a header row (without: id, label, note).
 * Rows that cannot be used are skipped, each with the reason, never guessed at; the file as a
 * whole is refused only when it is not a label file at all. Cost is bounded: the file's size
 * (also after gunzip), its JSON nesting, and the number of skipped rows listed.
 */
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { SkippedLabelRow } from '../../preload/api';
import { LABEL_FILE_MAX_BYTES, LABEL_IMPORT_LISTED_SKIPS } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { jsonNestingDepth } from '../formats/jsonDepth';
import { readFileBytes } from '../formats/openedFile';
import { normalizeLabel, normalizeNote, textProblem } from './featureLabelStore';

export interface LabelFileRow {
  row: number;
  feature: number;
  label: string;
  /** Undefined when the file has no note for this row (the stored note is kept). */
  note?: string;
  /** Where a Neuronpedia row came from ("neuronpedia gpt-4o-mini (oai_token-act-pair)"); else the file's source is used. */
  source?: string;
}

export interface LabelFile {
  format: 'csv' | 'tsv' | 'json array' | 'json object' | 'jsonl' | 'neuronpedia';
  rows: LabelFileRow[];
  skippedCount: number;
  skipped: SkippedLabelRow[];
}

export interface LabelFileOptions {
  dSae: number;
  /** The SAE's Neuronpedia id from its cfg ("gpt2-small/8-res-jb"): Neuronpedia rows for another SAE are skipped. */
  neuronpediaId?: string | null;
  maxBytes?: number;
}

/** Deeper than any label file needs (a record in an array under one key is depth 3). */
const MAX_JSON_DEPTH = 16;
const ID_KEYS = ['feature', 'index', 'feature_index', 'feature_id', 'featureId', 'latent', 'neuron', 'id'];
const LABEL_KEYS = ['label', 'description', 'explanation', 'text', 'name'];
const NOTE_KEYS = ['note', 'notes', 'comment'];
const WRAPPER_KEYS = ['explanations', 'labels', 'features'];

function invalid(file: string, message: string, hint = 'A label file is JSON (an array of labels, an object of id -> label, or records with an id and a label/description), JSONL, or CSV with an id and a label column.'): WorkbenchError {
  return new WorkbenchError('LABEL_FILE_INVALID', `${file}: ${message}`, hint);
}

/** Collects rows and skips: one feature per row, the first row for a feature wins. */
class RowCollector {
  readonly rows: LabelFileRow[] = [];
  readonly skipped: SkippedLabelRow[] = [];
  skippedCount = 0;
  private readonly firstRowOf = new Map<number, number>();

  constructor(private readonly dSae: number) {}

  skip(row: number, id: unknown, reason: string): void {
    this.skippedCount++;
    if (this.skipped.length < LABEL_IMPORT_LISTED_SKIPS) this.skipped.push({ row, id: id === undefined || id === null ? null : shortText(id), reason });
  }

  add(row: number, rawId: unknown, rawLabel: unknown, rawNote: unknown, source?: string): void {
    const feature = featureId(rawId);
    if (typeof feature === 'string') return this.skip(row, rawId, feature);
    if (feature >= this.dSae) return this.skip(row, rawId, `feature ${feature} is out of range: this SAE has d_sae ${this.dSae} (ids 0-${this.dSae - 1})`);
    const label = textOf(rawLabel);
    if (label === null) return this.skip(row, rawId, `the label is ${describe(rawLabel)}, not text`);
    const note = rawNote === undefined || rawNote === null ? undefined : textOf(rawNote);
    if (note === null) return this.skip(row, rawId, `the note is ${describe(rawNote)}, not text`);
    const cleanLabel = normalizeLabel(label);
    const cleanNote = note === undefined ? undefined : normalizeNote(note);
    if (!cleanLabel && !cleanNote) return this.skip(row, rawId, 'no label text');
    const problem = textProblem('label', cleanLabel) ?? (cleanNote === undefined ? null : textProblem('note', cleanNote));
    if (problem) return this.skip(row, rawId, problem);
    const first = this.firstRowOf.get(feature);
    if (first !== undefined) return this.skip(row, rawId, `feature ${feature} was already labelled by row ${first} (the first row for a feature is used)`);
    this.firstRowOf.set(feature, row);
    this.rows.push({ row, feature, label: cleanLabel, ...(cleanNote !== undefined ? { note: cleanNote } : {}), ...(source ? { source } : {}) });
  }
}

function shortText(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : JSON.stringify(v);
}

/** A feature id from a number or a string of digits ("255", "#255"), else why not. */
function featureId(v: unknown): number | string {
  if (v === undefined || v === null || v === '') return 'no feature id';
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : `feature id ${JSON.stringify(v)} is not a whole number >= 0`;
  if (typeof v === 'string') {
    const m = /^\s*#?(\d{1,15})\s*$/.exec(v);
    return m ? Number(m[1]) : `feature id ${JSON.stringify(shortText(v))} is not a whole number >= 0`;
  }
  return `feature id is ${describe(v)}, not a number`;
}

function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (v === undefined) return '';
  return null;
}

function pick(record: Record<string, unknown>, keys: string[]): unknown {
  for (const k of keys) if (record[k] !== undefined) return record[k];
  const lower = new Map(Object.keys(record).map((k) => [k.toLowerCase(), k]));
  for (const k of keys) {
    const found = lower.get(k.toLowerCase());
    if (found !== undefined) return record[found];
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Neuronpedia explanation records name their model and source layer and describe the feature. */
function isNeuronpediaRecord(r: Record<string, unknown>): boolean {
  return typeof r.description === 'string' && (r.modelId !== undefined || r.layer !== undefined || r.typeName !== undefined || r.explanationModelName !== undefined);
}

function neuronpediaSource(r: Record<string, unknown>): string {
  const by = typeof r.explanationModelName === 'string' && r.explanationModelName ? r.explanationModelName : null;
  const type = typeof r.typeName === 'string' && r.typeName ? r.typeName : null;
  return ['neuronpedia', by, type ? `(${type})` : null].filter(Boolean).join(' ');
}

/**
 * Records (JSON array items or JSONL lines) into rows. Neuronpedia rows for another SAE than the
 * cfg's neuronpedia_id (or, without one, than the file's first row) are skipped: a whole-model
 * export holds every layer, and their ids mean other features.
 */
function readRecords(items: { row: number; value: unknown }[], rows: RowCollector, options: LabelFileOptions): boolean {
  let neuronpedia = false;
  let expected = options.neuronpediaId ?? null;
  for (const { row, value } of items) {
    if (typeof value === 'string' || value === null) {
      rows.skip(row, null, `the item is ${describe(value)}: a record needs an id and a label`);
      continue;
    }
    if (!isRecord(value)) {
      rows.skip(row, null, `the item is ${describe(value)}, not a record with an id and a label`);
      continue;
    }
    const id = pick(value, ID_KEYS);
    if (isNeuronpediaRecord(value)) {
      neuronpedia = true;
      const from = `${String(value.modelId ?? '?')}/${String(value.layer ?? '?')}`;
      if (expected === null) expected = from;
      else if (from !== expected) {
        rows.skip(row, value.index ?? id, `this explanation is for ${from}, not ${expected}${options.neuronpediaId ? " (the SAE's neuronpedia_id)" : ' (the first row of the file)'}`);
        continue;
      }
      rows.add(row, value.index ?? id, value.description, pick(value, ['note']), neuronpediaSource(value));
      continue;
    }
    if (id === undefined) {
      rows.skip(row, null, `no feature id (one of ${ID_KEYS.slice(0, 4).join(', ')}, ...)`);
      continue;
    }
    rows.add(row, id, pick(value, LABEL_KEYS), pick(value, NOTE_KEYS));
  }
  return neuronpedia;
}

function parseJson(file: string, text: string): unknown {
  if (jsonNestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw invalid(file, `nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(file, `is not valid JSON (${(err as Error).message}).`);
  }
}

function fromJson(file: string, text: string, options: LabelFileOptions): LabelFile {
  let value = parseJson(file, text);
  const rows = new RowCollector(options.dSae);
  if (isRecord(value)) {
    const wrapper = WRAPPER_KEYS.find((k) => Array.isArray((value as Record<string, unknown>)[k]) || isRecord((value as Record<string, unknown>)[k]));
    const keys = Object.keys(value);
    if (wrapper && !keys.every((k) => /^#?\d+$/.test(k))) value = (value as Record<string, unknown>)[wrapper];
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string' || v === null)) {
      value.forEach((v, i) => (v === null ? rows.skip(i + 1, i, 'no label (null)') : rows.add(i + 1, i, v, undefined)));
      return { format: 'json array', ...done(rows) };
    }
    const neuronpedia = readRecords(value.map((v, i) => ({ row: i + 1, value: v })), rows, options);
    return { format: neuronpedia ? 'neuronpedia' : 'json array', ...done(rows) };
  }
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length > 0 && !entries.some(([k]) => /^#?\d+$/.test(k.trim()))) {
      throw invalid(file, `is a JSON object whose keys (${entries.slice(0, 3).map(([k]) => JSON.stringify(k)).join(', ')}...) are not feature ids, and it holds no "explanations", "labels" or "features" list.`);
    }
    entries.forEach(([k, v], i) => {
      if (isRecord(v)) rows.add(i + 1, k, pick(v, LABEL_KEYS), pick(v, NOTE_KEYS));
      else rows.add(i + 1, k, v, undefined);
    });
    return { format: 'json object', ...done(rows) };
  }
  throw invalid(file, `is ${describe(value)}, not a list or an object of labels.`);
}

function fromJsonLines(file: string, text: string, options: LabelFileOptions): LabelFile {
  const rows = new RowCollector(options.dSae);
  const items: { row: number; value: unknown }[] = [];
  let parsed = 0;
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (!t) return;
    if (jsonNestingDepth(t, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return rows.skip(i + 1, null, `nests more than ${MAX_JSON_DEPTH} levels deep`);
    try {
      items.push({ row: i + 1, value: JSON.parse(t) });
      parsed++;
    } catch (err) {
      rows.skip(i + 1, null, `not valid JSON (${(err as Error).message})`);
    }
  });
  if (parsed === 0 && rows.skippedCount > 0) throw invalid(file, 'has no line that is valid JSON: it is not a JSONL file.');
  const neuronpedia = readRecords(items, rows, options);
  return { format: neuronpedia ? 'neuronpedia' : 'jsonl', ...done(rows) };
}

/** RFC 4180 records with their first line numbers: quoted fields may hold the separator, quotes ("") and newlines. */
export function csvRecords(file: string, text: string, separator: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let touched = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell.length === 0) {
      quoted = true;
      touched = true;
    } else if (c === separator) {
      cells.push(cell);
      cell = '';
      touched = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (touched || cells.some((x) => x.trim())) out.push({ line: start, cells });
      cells = [];
      cell = '';
      touched = false;
      line++;
      start = line;
    } else {
      cell += c;
      if (c.trim()) touched = true;
    }
  }
  if (quoted) throw invalid(file, `line ${start}: a quoted field is never closed (a '"' is missing).`, 'Close the quote, or write the field without quotes; a quote inside a quoted field is written as "".');
  cells.push(cell);
  if (touched || cells.some((x) => x.trim())) out.push({ line: start, cells });
  return out;
}

function columnOf(header: string[], keys: string[]): number {
  const lower = header.map((h) => h.trim().toLowerCase());
  for (const k of keys) {
    const i = lower.indexOf(k.toLowerCase());
    if (i >= 0) return i;
  }
  return -1;
}

function fromCsv(file: string, text: string, separator: string, options: LabelFileOptions): LabelFile {
  const records = csvRecords(file, text, separator);
  const rows = new RowCollector(options.dSae);
  if (records.length === 0) return { format: separator === '\t' ? 'tsv' : 'csv', ...done(rows) };
  const first = records[0].cells;
  const hasHeader = typeof featureId(first[0]) === 'string' && first.some((c) => [...ID_KEYS, ...LABEL_KEYS].includes(c.trim().toLowerCase()));
  let idCol = 0;
  let labelCol = 1;
  let noteCol = 2;
  if (hasHeader) {
    idCol = columnOf(first, ID_KEYS);
    labelCol = columnOf(first, LABEL_KEYS);
    noteCol = columnOf(first, NOTE_KEYS);
    if (idCol < 0 || labelCol < 0) {
      throw invalid(file, `its header (${first.map((h) => JSON.stringify(h)).join(', ')}) has no ${idCol < 0 ? `id column (${ID_KEYS.slice(0, 4).join(', ')}, ...)` : `label column (${LABEL_KEYS.slice(0, 3).join(', ')}, ...)`}.`);
    }
  }
  for (const { line, cells } of records.slice(hasHeader ? 1 : 0)) {
    const needed = Math.max(idCol, labelCol) + 1;
    if (cells.length < needed) {
      rows.skip(line, cells[idCol] ?? null, `has ${cells.length} column${cells.length === 1 ? '' : 's'}; expected at least ${needed} (id${separator === '\t' ? ' TAB ' : ', '}label)`);
      continue;
    }
    rows.add(line, cells[idCol], cells[labelCol], noteCol >= 0 && noteCol < cells.length && cells[noteCol].trim() ? cells[noteCol] : undefined);
  }
  return { format: separator === '\t' ? 'tsv' : 'csv', ...done(rows) };
}

function done(rows: RowCollector): Omit<LabelFile, 'format'> {
  return { rows: rows.rows, skippedCount: rows.skippedCount, skipped: rows.skipped };
}

/** The file's text: size-bounded, a regular file (never a FIFO), gunzipped for .gz, without a BOM. */
function readText(file: string, maxBytes: number): string {
  let bytes = readFileBytes(file, maxBytes);
  if (file.toLowerCase().endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw new WorkbenchError('FILE_TOO_LARGE', `${file} unpacks to more than ${maxBytes} bytes, over the limit for a label file.`, 'Split the file, or import the rows for this SAE only.');
      throw invalid(file, `is not a valid gzip file (${(err as Error).message}).`);
    }
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Read a label file (see the module comment for the shapes). */
export function readLabelFile(file: string, options: LabelFileOptions): LabelFile {
  const text = readText(file, options.maxBytes ?? LABEL_FILE_MAX_BYTES);
  const name = path.basename(file).toLowerCase().replace(/\.gz$/, '');
  const ext = path.extname(name);
  if (ext === '.jsonl' || ext === '.ndjson') return fromJsonLines(file, text, options);
  if (ext === '.json') return fromJson(file, text, options);
  if (ext === '.csv') return fromCsv(file, text, ',', options);
  if (ext === '.tsv') return fromCsv(file, text, '\t', options);
  const start = text.trimStart()[0];
  if (start === '[') return fromJson(file, text, options);
  if (start === '{') {
    // One object over the whole file, or one per line.
    const firstLine = text.trimStart().split('\n', 1)[0].trim();
    return firstLine.endsWith('}') && text.trim().split('\n').length > 1 ? fromJsonLines(file, text, options) : fromJson(file, text, options);
  }
  if (text.trim() === '') throw invalid(file, 'is empty.');
  return fromCsv(file, text, text.split('\n', 1)[0].includes('\t') && !text.split('\n', 1)[0].includes(',') ? '\t' : ',', options);
}
