import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LibraryItem, LibrarySource } from '../../preload/api';
import { datasetFileInfo, datasetFormatOf } from '../formats/datasetFiles';
import { describeModelDirectory } from './describeModel';
import { describeSaeDirectory, NOT_LINKED_YET } from './describeSae';
import { pendingIdentity } from './identity';

export interface RecognizeOptions {
  /** Catalog origin the items belong to ("hub" or "local:<root>"), part of their ids. */
  origin: string;
  /** A dataset repo: every data-like file is part of one dataset item for the whole tree. */
  datasetRepo?: { name: string };
  source(relPath: string): LibrarySource;
  now?: number;
}

/** Files of a model directory that are configuration, not results. */
const CONFIG_JSON = new Set([
  'config.json', 'cfg.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json',
  'vocab.json', 'added_tokens.json', 'preprocessor_config.json', 'adapter_config.json', 'dataset_info.json', 'dataset_infos.json',
  'state.json', 'model.safetensors.index.json', 'pytorch_model.bin.index.json', 'sae_weights.json', 'package.json', 'package-lock.json',
  'dataset_dict.json', 'activation_scaler.json', 'runner_cfg.json',
]);
/**
 * Data files the app can read (main/formats/datasetFiles). Outside dataset repos only parquet and
 * jsonl count: a .json or .txt next to a model is a result or a merges file, not data.
 */
const isDataFileAnywhere = (name: string) => datasetFormatOf(name) === 'parquet' || datasetFormatOf(name) === 'jsonl';
const MAX_DEPTH = 8;
const MAX_ENTRIES = 50_000;

export function itemId(origin: string, absPath: string): string {
  return createHash('sha256').update(`${origin}\0${absPath}`).digest('hex').slice(0, 16);
}

interface Entry {
  name: string;
  abs: string;
  rel: string;
  isDir: boolean;
  size: number;
}

/**
 * Walk a folder (an HF snapshot or a folder the user added) and recognise what the Library can
 * use: sae_lens SAE directories (cfg.json + sae_weights.safetensors), model directories
 * (config.json + weights), datasets and JSON result files. Symlinks are followed (HF snapshots
 * link into blobs/); dangling links, i.e. files not downloaded, are skipped.
 */
export function recognizeTree(root: string, options: RecognizeOptions): LibraryItem[] {
  const now = options.now ?? Date.now();
  const items: LibraryItem[] = [];
  const datasetFiles: Entry[] = [];
  let budget = MAX_ENTRIES;
  const base = (kind: LibraryItem['kind'], name: string, abs: string, rel: string, sizeBytes: number, fileCount: number): LibraryItem => ({
    id: itemId(options.origin, abs),
    kind,
    name,
    identity: pendingIdentity(abs),
    path: abs,
    source: options.source(rel),
    sizeBytes,
    fileCount,
    sae: null,
    model: null,
    dataset: null,
    result: null,
    problems: [],
    scannedAt: now,
  });

  const visit = (dir: string, rel: string, depth: number) => {
    const entries = listDir(dir, rel);
    budget -= entries.length;
    if (budget < 0) return;
    const files = entries.filter((e) => !e.isDir);
    const names = new Set(files.map((f) => f.name));
    const display = rel === '' ? (options.datasetRepo?.name ?? path.basename(root)) : path.basename(rel);
    if (!options.datasetRepo && names.has('cfg.json') && names.has('sae_weights.safetensors')) {
      const tree = treeSize(dir);
      const { sae, problems } = describeSaeDirectory(dir);
      items.push({ ...base('sae', display, dir, rel, tree.size, tree.files), sae: { ...sae, modelItemId: null, groupModel: '', link: NOT_LINKED_YET }, problems });
      return;
    }
    const isModel = !options.datasetRepo && names.has('config.json') && files.some((f) => /\.(safetensors|bin|pt|pth)$/.test(f.name));
    if (isModel) {
      const own = files.filter((f) => !f.name.startsWith('.'));
      const { model, problems } = describeModelDirectory(dir, own.map((f) => f.name));
      items.push({ ...base('model', rel === '' && !options.datasetRepo ? modelDisplayName(options, root) : display, dir, rel, sum(own), own.length), model, problems });
    }
    for (const f of files) {
      if (f.name.startsWith('.')) continue;
      if (options.datasetRepo) {
        if (datasetFormatOf(f.name) && !CONFIG_JSON.has(f.name)) datasetFiles.push(f);
      } else if (isDataFileAnywhere(f.name)) {
        items.push({ ...base('dataset', f.name, f.abs, f.rel, f.size, 1), dataset: { formats: [formatOf(f.name)], dataFiles: [f.rel], rows: countRows([f.abs]) } });
      } else if (f.name.endsWith('.json') && !CONFIG_JSON.has(f.name) && !f.name.startsWith('tokenizer')) {
        items.push({ ...base('result', f.name, f.abs, f.rel, f.size, 1), result: { shape: jsonShape(f.abs) } });
      }
    }
    if (depth >= MAX_DEPTH) return;
    for (const d of entries.filter((e) => e.isDir && !e.name.startsWith('.'))) visit(d.abs, d.rel, depth + 1);
  };

  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    return [];
  }
  if (st.isFile()) return recognizeFile(root, options, st.size, base);
  visit(root, '', 0);
  if (options.datasetRepo && datasetFiles.length > 0) {
    items.push({
      ...base('dataset', options.datasetRepo.name, root, '', sum(datasetFiles), datasetFiles.length),
      dataset: { formats: [...new Set(datasetFiles.map((f) => formatOf(f.name)))].sort(), dataFiles: datasetFiles.map((f) => f.rel).sort(), rows: countRows(datasetFiles.map((f) => f.abs)) },
    });
  }
  return items;
}

/** A single file the user added: a dataset or a JSON result. */
function recognizeFile(file: string, options: RecognizeOptions, size: number, base: (kind: LibraryItem['kind'], name: string, abs: string, rel: string, size: number, n: number) => LibraryItem): LibraryItem[] {
  const name = path.basename(file);
  const format = datasetFormatOf(name);
  if (format && format !== 'json') {
    return [{ ...base('dataset', name, file, '', size, 1), dataset: { formats: [format], dataFiles: [name], rows: countRows([file]) } }];
  }
  if (name.endsWith('.json')) {
    const shape = jsonShape(file);
    // A JSON list of strings or of {"text": ...} records is a dataset; anything else is a result.
    if (/^array/.test(shape) && looksLikeTextRecords(file)) return [{ ...base('dataset', name, file, '', size, 1), dataset: { formats: ['json'], dataFiles: [name], rows: countRows([file]) } }];
    return [{ ...base('result', name, file, '', size, 1), result: { shape } }];
  }
  return [];
}

/** Rows over all files as main/formats counts them (parquet footers, lines); null if any is unknown. */
function countRows(files: string[]): number | null {
  let rows = 0;
  for (const f of files) {
    try {
      const n = datasetFileInfo(f).rows;
      if (n === null) return null;
      rows += n;
    } catch {
      return null;
    }
  }
  return rows;
}

function modelDisplayName(options: RecognizeOptions, root: string): string {
  const src = options.source('');
  return src.type === 'hub' ? src.repoId : path.basename(root);
}

function listDir(dir: string, rel: string): Entry[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: Entry[] = [];
  for (const name of names) {
    const abs = path.join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      continue; // dangling symlink: a file not (yet) downloaded
    }
    out.push({ name, abs, rel: rel ? `${rel}/${name}` : name, isDir: st.isDirectory(), size: st.isFile() ? st.size : 0 });
  }
  return out;
}

function treeSize(dir: string): { size: number; files: number } {
  let size = 0;
  let files = 0;
  for (const e of listDir(dir, '')) {
    if (e.isDir) {
      const t = treeSize(e.abs);
      size += t.size;
      files += t.files;
    } else {
      size += e.size;
      files += 1;
    }
  }
  return { size, files };
}

function sum(entries: Entry[]): number {
  return entries.reduce((s, e) => s + e.size, 0);
}

function formatOf(name: string): string {
  return datasetFormatOf(name) ?? path.extname(name).slice(1).toLowerCase();
}

/** Reading whole JSON files is fine for the catalog: result files are small; big ones are summarised by size. */
const MAX_JSON_SHAPE_BYTES = 64 * 1024 * 1024;

export function jsonShape(file: string): string {
  try {
    if (fs.statSync(file).size > MAX_JSON_SHAPE_BYTES) return 'large JSON';
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (Array.isArray(v)) return `array (${v.length} items)`;
    if (v && typeof v === 'object') return `object (${Object.keys(v).length} keys)`;
    return typeof v;
  } catch {
    return 'invalid JSON';
  }
}

function looksLikeTextRecords(file: string): boolean {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown[];
    const sample = v.slice(0, 20);
    return sample.length > 0 && sample.every((r) => typeof r === 'string' || (!!r && typeof r === 'object' && typeof (r as { text?: unknown }).text === 'string'));
  } catch {
    return false;
  }
}
