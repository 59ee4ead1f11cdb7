/**
 * What is at a path: a model folder, a sae_lens SAE folder, a dataset (file or folder of files), or
 * something else. Reads configs and file headers only, so it is fast on multi-gigabyte folders.
 * Unrecognised paths are not errors (kind "unknown", with the reason); damaged recognised ones are.
 */
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { WorkbenchError } from '../errors';
import { datasetFileInfo, datasetFormatOf, findDatasetFiles, type DatasetFileInfo, type DatasetFormat } from './datasetFiles';
import { tryReadJsonObject } from './models/configFields';
import { fileAbsence, readTextFile, requireRegularFile } from './openedFile';
import { describeModel, detectModelLoader, modelLoaders } from './models/registry';
import { findWeightFiles } from './models/weightSource';
import { describeNonFinite, nonFiniteProblem, nonFiniteTensors } from './finiteValues';
import { readSaeConfig, SAE_CFG_FILE, SAE_SPARSITY_FILE, SAE_WEIGHTS_FILE } from './saeConfig';
import { elementCount, readSafetensorsHeader } from './safetensors';
import type { SaeArchitecture, SaeNormalization } from './sae';
import { TOKENIZER_FILE } from '../tokenize/tokenizer';
import { CROSSCODER_WEIGHTS_FILE, crosscoderTensorShapes, looksLikeCrosscoderFolder, readCrosscoderConfig } from './crosscoder';

export interface ModelInspection {
  kind: 'model';
  path: string;
  format: string;
  architecture: string;
  name: string;
  layers: number;
  dModel: number;
  heads: number;
  /** Key/value heads: fewer than `heads` under grouped-query attention. */
  kvHeads: number;
  dHead: number;
  dMlp: number;
  vocab: number;
  nCtx: number;
  normalization: string;
  activation: string;
  /** SwiGLU-style: act(x W_gate) * (x W_in). */
  gatedMlp: boolean;
  params: number;
  weightFiles: string[];
  weightDtypes: string[];
  hasTokenizer: boolean;
  /** config.json against the weight shapes, NaN or infinite weights; empty when consistent. */
  problems: string[];
}

export interface SaeInspection {
  kind: 'sae';
  path: string;
  architecture: SaeArchitecture;
  dIn: number;
  dSae: number;
  k: number | null;
  hook: string;
  layer: number | null;
  modelName: string | null;
  cfgGeneration: string;
  dtype: string;
  normalizeActivations: SaeNormalization;
  weightDtypes: string[];
  hasSparsity: boolean;
  /** Disagreements between cfg.json and the weight shapes; empty when consistent. */
  problems: string[];
}

/** A crosscoder folder (cfg.json "batchtopk_crosscoder" + crosscoder_weights.safetensors): one dictionary over two models. */
export interface CrosscoderInspection {
  kind: 'crosscoder';
  path: string;
  dIn: number;
  dSae: number;
  k: number;
  hookA: string;
  hookB: string;
  modelA: string;
  modelB: string;
  /** The inputs are divided by these before encoding (cfg norm_scale_a / norm_scale_b). */
  normScaleA: number;
  normScaleB: number;
  datasetPath: string | null;
  contextSize: number;
  formatVersion: number;
  weightDtypes: string[];
  /** The weights' header against cfg.json, non-finite weights; empty when consistent. */
  problems: string[];
}

export interface DatasetInspection {
  kind: 'dataset';
  path: string;
  /** The format shared by all files, or "mixed". */
  format: DatasetFormat | 'mixed';
  files: (Omit<DatasetFileInfo, 'file'> & { file: string })[];
  /** Sum over files, null if any file's count was not cheap to get. */
  rows: number | null;
  bytes: number;
}

export interface UnknownInspection {
  kind: 'unknown';
  path: string;
  reason: string;
  /** Recognised items one level down (e.g. a release repo holding many SAE folders). */
  children: { name: string; kind: 'model' | 'sae' | 'dataset' }[];
}

/** A safetensors file on its own (saved activations, an exported tensor): what it holds. */
export interface TensorFileInspection {
  kind: 'tensors';
  path: string;
  bytes: number;
  /** The header's __metadata__ (string to string), null when it has none. */
  metadata: Record<string, string> | null;
  /** Sorted by name, as Python's safe_open(...).keys() lists them. */
  tensors: { name: string; dtype: string; shape: number[]; elements: number }[];
  dtypes: string[];
  elements: number;
  /** NaN or infinite values, one line per tensor that holds any; empty when every value is finite. */
  problems: string[];
}

export type Inspection = ModelInspection | SaeInspection | CrosscoderInspection | DatasetInspection | TensorFileInspection | UnknownInspection;

const MAX_CHILDREN = 500;

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * A dictionary's weights file against the shapes its cfg.json implies (header only), plus
 * non-finite values: the problems, and the dtypes it holds. `alias` names a tensor's other
 * spelling (sae_lens' log_threshold for threshold); `exact` lists tensors the format does not have.
 */
function weightFileProblems(weights: string, what: string, expected: Record<string, number[]>, options: { alias?: Record<string, string>; exact?: boolean } = {}): { problems: string[]; weightDtypes: string[] } {
  const { alias = {}, exact = false } = options;
  const file = basename(weights);
  const absent = fileAbsence(weights);
  if (absent?.kind === 'missing') return { problems: [`${file} is missing: the ${what} cannot be loaded; download or copy it (again) with its weights`], weightDtypes: [] };
  if (absent) return { problems: [`${file} ${absent.text}: the ${what} cannot be loaded; replace the link with the weights file (or download the ${what} again)`], weightDtypes: [] };
  // A damaged file is a problem to list, not a reason to lose what cfg.json said.
  let header: ReturnType<typeof readSafetensorsHeader>;
  try {
    header = readSafetensorsHeader(weights);
  } catch (err) {
    return { problems: [`${file} cannot be read: ${(err as Error).message}`], weightDtypes: [] };
  }
  const problems: string[] = [];
  if (exact) {
    const extra = header.entries.map((e) => e.name).filter((n) => !(n in expected));
    if (extra.length > 0) problems.push(`${file} holds tensors a ${what} does not have: ${extra.join(', ')} (the loader refuses it)`);
  }
  for (const [name, shape] of Object.entries(expected)) {
    const e = header.entries.find((x) => x.name === name) ?? (alias[name] ? header.entries.find((x) => x.name === alias[name]) : undefined);
    if (!e) problems.push(`${file} has no ${name} (expected ${shapeText(shape)})`);
    else if (shapeText(e.shape) !== shapeText(shape)) problems.push(`${e.name} is ${shapeText(e.shape)} but cfg.json implies ${shapeText(shape)}`);
  }
  try {
    const nonFinite = nonFiniteProblem(weights);
    if (nonFinite) problems.push(nonFinite);
  } catch (err) {
    problems.push(`${file}: its values cannot be read: ${(err as Error).message}`);
  }
  return { problems, weightDtypes: [...new Set(header.entries.map((e) => e.dtype))].sort() };
}

/** cfg.json read by the format's own reader (an invalid one throws, as an SAE's does), the weights' header checked against it. */
function inspectCrosscoder(dir: string): CrosscoderInspection {
  const c = readCrosscoderConfig(dir);
  // Exactly these tensors: loadCrosscoder refuses any other.
  const { problems, weightDtypes } = weightFileProblems(join(dir, CROSSCODER_WEIGHTS_FILE), 'crosscoder', crosscoderTensorShapes(c.dIn, c.dSae), { exact: true });
  return {
    kind: 'crosscoder',
    path: dir,
    dIn: c.dIn,
    dSae: c.dSae,
    k: c.k,
    hookA: c.hookNameA,
    hookB: c.hookNameB,
    modelA: c.modelA,
    modelB: c.modelB,
    normScaleA: c.normScaleA,
    normScaleB: c.normScaleB,
    datasetPath: c.datasetPath,
    contextSize: c.contextSize,
    formatVersion: c.formatVersion,
    weightDtypes,
    problems,
  };
}

function inspectSae(dir: string): SaeInspection {
  const cfg = readSaeConfig(dir);
  const expected: Record<string, number[]> = { W_enc: [cfg.dIn, cfg.dSae], W_dec: [cfg.dSae, cfg.dIn], b_enc: [cfg.dSae], b_dec: [cfg.dIn] };
  if (cfg.architecture === 'jumprelu') expected.threshold = [cfg.dSae];
  const { problems, weightDtypes } = weightFileProblems(join(dir, SAE_WEIGHTS_FILE), 'SAE', expected, { alias: { threshold: 'log_threshold' } });
  return {
    kind: 'sae',
    path: dir,
    architecture: cfg.architecture,
    dIn: cfg.dIn,
    dSae: cfg.dSae,
    k: cfg.k,
    hook: cfg.hookName,
    layer: cfg.hookLayer,
    modelName: cfg.modelName,
    cfgGeneration: cfg.cfgGeneration,
    dtype: cfg.dtype,
    normalizeActivations: cfg.normalizeActivations,
    weightDtypes,
    hasSparsity: existsSync(join(dir, SAE_SPARSITY_FILE)),
    problems: [...problems, ...brokenOptionalFile(dir, SAE_SPARSITY_FILE)],
  };
}

/** An optional file that is there as a name but leads nowhere (a loop, a dangling link): worth a line. */
function brokenOptionalFile(dir: string, name: string): string[] {
  const absent = fileAbsence(join(dir, name));
  return absent && absent.kind !== 'missing' ? [`${name} ${absent.text}`] : [];
}

function inspectTensorFile(file: string): TensorFileInspection {
  const header = readSafetensorsHeader(file);
  const tensors = header.entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, elements: elementCount(e.shape) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    kind: 'tensors',
    path: file,
    bytes: header.dataStart + header.dataBytes,
    metadata: header.metadata,
    tensors,
    dtypes: [...new Set(tensors.map((t) => t.dtype))].sort(),
    elements: tensors.reduce((n, t) => n + t.elements, 0),
    problems: nonFiniteTensors(file).map((t) => `tensor "${t.name}" holds ${describeNonFinite(t, t.elements)}`),
  };
}

/**
 * Whether a .safetensors file is part of the folder item around it (an SAE's weights or sparsity
 * next to its cfg.json; a weight file of the model whose config.json is there), so that inspecting
 * it means inspecting that item. Anything else is inspected as the file it is, and the folder's
 * other contents (a broken config, an unrelated model) are none of its business.
 */
function belongsToFolderItem(file: string): boolean {
  const dir = dirname(file);
  const name = basename(file);
  if ((name === SAE_WEIGHTS_FILE || name === SAE_SPARSITY_FILE) && lexists(join(dir, SAE_CFG_FILE))) return true;
  if (name === CROSSCODER_WEIGHTS_FILE && lexists(join(dir, SAE_CFG_FILE))) return true;
  try {
    return detectModelLoader(dir) !== null && (findWeightFiles(dir) ?? []).includes(name);
  } catch {
    // A folder whose config cannot be read is not a model this file belongs to.
    return false;
  }
}

function inspectModel(dir: string): ModelInspection | null {
  const loader = detectModelLoader(dir);
  if (!loader) return null;
  const d = describeModel(dir, loader);
  const c = d.config;
  return {
    kind: 'model',
    path: dir,
    format: d.format,
    architecture: d.architecture,
    name: c.name,
    layers: c.nLayers,
    dModel: c.dModel,
    heads: c.nHeads,
    kvHeads: c.nKvHeads ?? c.nHeads,
    dHead: c.dHead,
    dMlp: c.dMlp,
    vocab: c.dVocab,
    nCtx: c.nCtx,
    normalization: c.normalization,
    activation: c.activation,
    gatedMlp: c.gatedMlp === true,
    params: d.paramCount,
    weightFiles: d.weightFiles,
    weightDtypes: d.weightDtypes,
    hasTokenizer: existsSync(join(dir, TOKENIZER_FILE)),
    problems: d.problems,
  };
}

function datasetInspection(path: string, files: string[], base: string): DatasetInspection {
  // In a folder, a .json holding one object is a manifest or config, not rows.
  const infos = files
    .map((f) => ({ ...datasetFileInfo(f), file: relative(base, f) || basename(f) }))
    .filter((i) => files.length === 1 || i.topLevel === undefined || i.topLevel === 'array');
  const formats = new Set(infos.map((i) => i.format));
  return {
    kind: 'dataset',
    path,
    format: formats.size === 1 ? [...formats][0] : 'mixed',
    files: infos,
    rows: infos.every((i) => i.rows !== null) ? infos.reduce((n, i) => n + (i.rows as number), 0) : null,
    bytes: infos.reduce((n, i) => n + i.bytes, 0),
  };
}

/**
 * Model and SAE folders up to four levels down (release repos nest them: layer_12/width_16k/average_l0_82),
 * never descending into a recognised folder. Cheap: configs only.
 */
function recognisedFolders(dir: string): UnknownInspection['children'] {
  const found: UnknownInspection['children'] = [];
  const walk = (d: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.') || found.length >= MAX_CHILDREN) continue;
      const p = join(d, e.name);
      let kind: 'model' | 'sae' | null = null;
      try {
        kind = existsSync(join(p, SAE_CFG_FILE)) ? 'sae' : detectModelLoader(p) ? 'model' : null;
      } catch {
        kind = null;
      }
      if (kind) found.push({ name: relative(dir, p), kind });
      else if (depth < 4) walk(p, depth + 1);
    }
  };
  walk(dir, 1);
  return found;
}

/**
 * An HF cache repo folder (models--org--name with refs/ and snapshots/) stands for the snapshot
 * its refs/main points to, the revision huggingface_hub would load by default.
 */
function hubCacheSnapshot(dir: string): string | null {
  const ref = join(dir, 'refs', 'main');
  if (!existsSync(ref) || !existsSync(join(dir, 'snapshots'))) return null;
  let sha: string;
  try {
    sha = readTextFile(ref, 4096).trim();
  } catch {
    return null;
  }
  const snap = join(dir, 'snapshots', sha);
  return /^[0-9a-f]{40}$/.test(sha) && existsSync(snap) ? snap : null;
}

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function inspectDirectory(pathOrFile: string): Inspection {
  const absent = fileAbsence(pathOrFile);
  if (absent?.kind === 'missing') throw new WorkbenchError('PATH_NOT_FOUND', `${pathOrFile}: does not exist.`, 'Check the path (for Hub downloads, the snapshot folder under the HF cache).');
  if (absent) throw new WorkbenchError(absent.kind === 'loop' ? 'SYMLINK_LOOP' : 'PATH_NOT_FOUND', `${pathOrFile} ${absent.text}.`, 'Replace the link with the file or folder it should point to.');
  const stat = statSync(pathOrFile);
  if (stat.isFile()) {
    const name = basename(pathOrFile);
    // A config, or weights that belong to the model or SAE folder around them, stand for that folder.
    if (name === SAE_CFG_FILE || name === 'config.json') return inspectDirectory(dirname(pathOrFile));
    if (name.endsWith('.safetensors')) return belongsToFolderItem(pathOrFile) ? inspectDirectory(dirname(pathOrFile)) : inspectTensorFile(pathOrFile);
    if (datasetFormatOf(name)) return datasetInspection(pathOrFile, [pathOrFile], dirname(pathOrFile));
    return { kind: 'unknown', path: pathOrFile, reason: 'not a model, SAE or dataset file', children: [] };
  }
  const dir = pathOrFile;
  const snapshot = hubCacheSnapshot(dir);
  if (snapshot) return inspectDirectory(snapshot);
  // A config that is there but cannot be a file (a FIFO, a folder, a dangling link) is named as such.
  for (const name of [SAE_CFG_FILE, 'config.json']) if (lexists(join(dir, name))) requireRegularFile(join(dir, name));
  if (looksLikeCrosscoderFolder(dir)) return inspectCrosscoder(dir);
  if (existsSync(join(dir, SAE_CFG_FILE))) return inspectSae(dir);
  const model = inspectModel(dir);
  if (model) return model;
  const hasConfig = existsSync(join(dir, 'config.json'));
  const folders = recognisedFolders(dir);
  const data = hasConfig ? null : datasetInspection(dir, findDatasetFiles(dir), dir);
  if (data && folders.length === 0 && data.files.length > 0) return data;
  const children = [...folders, ...(data?.files ?? []).map((f) => ({ name: f.file, kind: 'dataset' as const }))].sort(byName);
  if (folders.length > 0) {
    const n = (k: string) => children.filter((c) => c.kind === k).length;
    return { kind: 'unknown', path: dir, reason: `a collection: ${n('model')} model(s), ${n('sae')} SAE(s), ${n('dataset')} dataset file(s); inspect each path`, children };
  }
  const modelType = hasConfig ? tryReadJsonObject(join(dir, 'config.json'))?.model_type : undefined;
  const supported = modelLoaders.map((l) => l.format).join(', ');
  const reason = hasConfig
    ? `config.json ${typeof modelType === 'string' ? `describes a "${modelType}" model, which is` : 'is'} not a supported model format (supported: ${supported})`
    : 'no cfg.json (SAE), config.json (model) or dataset files';
  return { kind: 'unknown', path: dir, reason, children };
}
