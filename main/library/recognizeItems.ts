import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LibraryItem, LibrarySource } from '../../preload/api';
import { datasetFileInfo, datasetFormatOf } from '../formats/datasetFiles';
import { DirectoryWalk, type WalkEntry } from '../formats/directoryWalk';
import { readTextFile } from '../formats/openedFile';
import { SAE_CFG_FILE, SAE_WEIGHTS_FILE } from '../formats/saeConfig';
import { looksLikeCrosscoderFolder } from '../formats/crosscoder';
import { describeCrosscoderDirectory } from './describeCrosscoder';
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

export function itemId(origin: string, absPath: string): string {
  return createHash('sha256').update(`${origin}\0${absPath}`).digest('hex').slice(0, 16);
}

const WEIGHT_FILE = /\.(safetensors|bin|pt|pth)$/;

/**
 * Walk a folder (an HF snapshot or a folder the user added) and recognise what the Library can
 * use: sae_lens SAE directories (cfg.json + sae_weights.safetensors), crosscoder folders (cfg.json
 * "batchtopk_crosscoder" + crosscoder_weights.safetensors), model directories
 * (config.json + weights), datasets and JSON result files. Symlinks are followed (HF snapshots
 * link into blobs/) through one bounded walk (main/formats/directoryWalk): a symlink loop is
 * skipped and reported, as a problem of the item it sits in or, outside any item, in `problems`.
 * An SAE or model whose weights are missing or a dangling link (not downloaded) is listed with
 * that problem; damaged datasets and result files likewise.
 */
export function recognizeTree(root: string, options: RecognizeOptions, problems: string[] = []): LibraryItem[] {
  const now = options.now ?? Date.now();
  const items: LibraryItem[] = [];
  const datasetFiles: WalkEntry[] = [];
  const walk = new DirectoryWalk();
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
    const entries = walk.list(dir, rel, depth);
    if (!entries) return;
    const files = entries.filter((e) => e.type === 'file');
    const byName = new Map(entries.map((e) => [e.name, e]));
    const display = rel === '' ? (options.datasetRepo?.name ?? path.basename(root)) : path.basename(rel);
    for (const e of entries) if (e.type === 'other' && !e.name.startsWith('.')) problems.push(`${e.abs} is not a regular file or folder (a FIFO, socket or device); skipped`);
    if (!options.datasetRepo && byName.get(SAE_CFG_FILE)?.type === 'file' && looksLikeCrosscoderFolder(dir)) {
      const seen = walk.problems.length;
      const tree = walk.treeSize(entries, depth);
      const { crosscoder, problems: own } = describeCrosscoderDirectory(dir);
      items.push({ ...base('crosscoder', display, dir, rel, tree.size, tree.files), crosscoder, problems: unique([...own, ...walk.problems.splice(seen)]) });
      return;
    }
    if (!options.datasetRepo && byName.get(SAE_CFG_FILE)?.type === 'file' && (byName.has(SAE_WEIGHTS_FILE) || cfgLooksLikeSae(path.join(dir, SAE_CFG_FILE)))) {
      const seen = walk.problems.length;
      const tree = walk.treeSize(entries, depth);
      const { sae, problems: saeProblems } = describeSaeDirectory(dir);
      const own = [...missingWeightsProblems(byName.get(SAE_WEIGHTS_FILE), path.join(dir, SAE_WEIGHTS_FILE), 'SAE'), ...saeProblems, ...walk.problems.splice(seen)];
      items.push({ ...base('sae', display, dir, rel, tree.size, tree.files), sae: { ...sae, modelItemId: null, groupModel: '', link: NOT_LINKED_YET }, problems: unique(own) });
      return;
    }
    const weights = entries.filter((e) => WEIGHT_FILE.test(e.name) && (e.type === 'file' || e.type === 'dangling'));
    if (!options.datasetRepo && byName.get('config.json')?.type === 'file' && weights.length > 0) {
      const own = files.filter((f) => !f.name.startsWith('.'));
      const { model, problems: modelProblems } = describeModelDirectory(dir, [...own, ...weights.filter((w) => w.type === 'dangling')].map((f) => f.name));
      const dangling = weights.filter((w) => w.type === 'dangling').flatMap((w) => missingWeightsProblems(w, w.abs, 'model'));
      items.push({ ...base('model', rel === '' && !options.datasetRepo ? modelDisplayName(options, root) : display, dir, rel, sum(own), own.length), model, problems: unique([...dangling, ...modelProblems]) });
    }
    for (const f of files) {
      if (f.name.startsWith('.')) continue;
      if (options.datasetRepo) {
        if (datasetFormatOf(f.name) && !CONFIG_JSON.has(f.name)) datasetFiles.push(f);
      } else if (isDataFileAnywhere(f.name)) {
        items.push(datasetItem(base('dataset', f.name, f.abs, f.rel, f.size, 1), [formatOf(f.name)], [f.rel], [f.abs]));
      } else if (f.name.endsWith('.json') && !CONFIG_JSON.has(f.name) && !f.name.startsWith('tokenizer')) {
        items.push(resultItem(base('result', f.name, f.abs, f.rel, f.size, 1), f.abs));
      }
    }
    for (const d of entries.filter((e) => e.type === 'dir' && !e.name.startsWith('.'))) visit(d.abs, d.rel, depth + 1);
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
    const formats = [...new Set(datasetFiles.map((f) => formatOf(f.name)))].sort();
    items.push(datasetItem(base('dataset', options.datasetRepo.name, root, '', sum(datasetFiles), datasetFiles.length), formats, datasetFiles.map((f) => f.rel).sort(), datasetFiles.map((f) => f.abs)));
  }
  problems.push(...walk.problems);
  return items;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** A weights file that is absent or a link to nothing: the SAE or model cannot be loaded until it is downloaded. */
function missingWeightsProblems(entry: WalkEntry | undefined, file: string, what: 'SAE' | 'model'): string[] {
  if (!entry) return []; // inspect names a missing file itself
  if (entry.type === 'dangling') {
    let target = '';
    try {
      target = fs.readlinkSync(file);
    } catch {
      // described without its target
    }
    return [`${path.basename(file)} is a link to a missing file${target ? ` (${target})` : ''}: the download is incomplete; download the ${what} again`];
  }
  if (entry.type !== 'file') return [`${path.basename(file)} is not a regular file: the ${what} cannot be loaded`];
  return [];
}

/** A cfg.json with sae_lens fields (an SAE whose weights are missing is still an SAE). */
function cfgLooksLikeSae(file: string): boolean {
  try {
    const cfg = JSON.parse(readTextFile(file, 1 << 20)) as Record<string, unknown>;
    return !!cfg && typeof cfg === 'object' && ('d_sae' in cfg || 'd_in' in cfg);
  } catch {
    return false;
  }
}

function datasetItem(item: LibraryItem, formats: string[], dataFiles: string[], files: string[]): LibraryItem {
  const counted = countRows(files);
  return { ...item, dataset: { formats, dataFiles, rows: counted.rows }, problems: counted.problems };
}

function resultItem(item: LibraryItem, file: string): LibraryItem {
  const shape = jsonShape(file);
  return { ...item, result: { shape }, problems: shape === 'invalid JSON' ? [`${path.basename(file)} is not valid JSON: the viewer cannot open it (the file may be truncated)`] : [] };
}

/** A single file the user added: a dataset or a JSON result. */
function recognizeFile(file: string, options: RecognizeOptions, size: number, base: (kind: LibraryItem['kind'], name: string, abs: string, rel: string, size: number, n: number) => LibraryItem): LibraryItem[] {
  const name = path.basename(file);
  const format = datasetFormatOf(name);
  if (format && format !== 'json') return [datasetItem(base('dataset', name, file, '', size, 1), [format], [name], [file])];
  if (name.endsWith('.json')) {
    // A JSON list of strings or of {"text": ...} records is a dataset; anything else is a result.
    if (/^array/.test(jsonShape(file)) && looksLikeTextRecords(file)) return [datasetItem(base('dataset', name, file, '', size, 1), ['json'], [name], [file])];
    return [resultItem(base('result', name, file, '', size, 1), file)];
  }
  return [];
}

/** Rows over all files as main/formats counts them (parquet footers, lines); null if any is unknown, with why. */
function countRows(files: string[]): { rows: number | null; problems: string[] } {
  let rows: number | null = 0;
  const problems: string[] = [];
  for (const f of files) {
    try {
      const n = datasetFileInfo(f).rows;
      rows = n === null || rows === null ? null : rows + n;
    } catch (err) {
      rows = null;
      problems.push((err as Error).message);
    }
  }
  return { rows, problems };
}

function modelDisplayName(options: RecognizeOptions, root: string): string {
  const src = options.source('');
  return src.type === 'hub' ? src.repoId : path.basename(root);
}

function sum(entries: WalkEntry[]): number {
  return entries.reduce((n, e) => n + e.size, 0);
}

function formatOf(name: string): string {
  return datasetFormatOf(name) ?? path.extname(name).slice(1).toLowerCase();
}

/** Reading whole JSON files is fine for the catalog: result files are small; big ones are summarised by size. */
const MAX_JSON_SHAPE_BYTES = 64 * 1024 * 1024;

export function jsonShape(file: string): string {
  try {
    if (fs.statSync(file).size > MAX_JSON_SHAPE_BYTES) return 'large JSON';
    const v = JSON.parse(readTextFile(file)) as unknown;
    if (Array.isArray(v)) return `array (${v.length} items)`;
    if (v && typeof v === 'object') return `object (${Object.keys(v).length} keys)`;
    return typeof v;
  } catch {
    return 'invalid JSON';
  }
}

function looksLikeTextRecords(file: string): boolean {
  try {
    const v = JSON.parse(readTextFile(file, MAX_JSON_SHAPE_BYTES)) as unknown[];
    const sample = v.slice(0, 20);
    return sample.length > 0 && sample.every((r) => typeof r === 'string' || (!!r && typeof r === 'object' && typeof (r as { text?: unknown }).text === 'string'));
  } catch {
    return false;
  }
}
