/**
 * The safetensors file(s) holding a model's state dict: `model.safetensors`, a sharded set listed in
 * `model.safetensors.index.json`, or the only `*.safetensors` file in the folder. Tensors are looked
 * up by name across shards; headers are read first so describing a model never loads weights.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WorkbenchError } from '../../errors';
import { readTextFile } from '../openedFile';
import { elementCount, readSafetensors, readSafetensorsHeader, toFloat32, type Safetensors, type SafetensorsEntry } from '../safetensors';
import type { Tensor32 } from '../tensor';

export interface WeightSource {
  dir: string;
  /** File names relative to dir. */
  files: string[];
  entries: Map<string, SafetensorsEntry & { file: string }>;
  paramCount: number;
  dtypes: string[];
  has(name: string): boolean;
  shape(name: string): number[];
  /** The tensor as float32, its shape checked against `expected` when given. */
  tensor(name: string, expected?: number[]): Tensor32;
}

const INDEX_FILE = 'model.safetensors.index.json';

/** Which safetensors files hold the weights, or null when the folder has none. */
export function findWeightFiles(dir: string): string[] | null {
  const indexPath = join(dir, INDEX_FILE);
  if (existsSync(indexPath)) {
    const text = readTextFile(indexPath);
    let index: unknown;
    try {
      index = JSON.parse(text);
    } catch (err) {
      throw new WorkbenchError('MODEL_CONFIG_INVALID', `${indexPath}: is not valid JSON (${(err as Error).message}).`, 'The download is damaged; download the model again.');
    }
    const map = (index as { weight_map?: unknown } | null)?.weight_map;
    if (!map || typeof map !== 'object' || Array.isArray(map) || !Object.values(map).every((v) => typeof v === 'string')) {
      throw new WorkbenchError('MODEL_CONFIG_INVALID', `${indexPath}: has no weight_map of tensor names to file names.`, 'The download is damaged; download the model again.');
    }
    return [...new Set(Object.values(map as Record<string, string>))].sort();
  }
  if (existsSync(join(dir, 'model.safetensors'))) return ['model.safetensors'];
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
  } catch {
    return null;
  }
  return names.length === 1 ? names : null;
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

export function openWeightSource(dir: string): WeightSource {
  const files = findWeightFiles(dir);
  if (!files) {
    const hasPickle = existsSync(dir) && readdirSync(dir).some((f) => /\.(bin|pt|pth|ckpt)$/.test(f));
    throw new WorkbenchError(
      'MODEL_WEIGHTS_MISSING',
      `${dir}: has no safetensors weights (model.safetensors, ${INDEX_FILE}, or a single *.safetensors file)${hasPickle ? '; it only has PyTorch pickle files' : ''}.`,
      hasPickle ? 'SAE Workbench reads safetensors only (pickles can run code). Download the safetensors revision of the model, or convert it with safetensors.torch.save_file.' : 'Download the model weights, or choose the folder that holds them.',
    );
  }
  const entries = new Map<string, SafetensorsEntry & { file: string }>();
  const dtypes = new Set<string>();
  let paramCount = 0;
  for (const f of files) {
    const header = readSafetensorsHeader(join(dir, f));
    for (const e of header.entries) {
      entries.set(e.name, { ...e, file: f });
      dtypes.add(e.dtype);
      paramCount += elementCount(e.shape);
    }
  }
  const opened = new Map<string, Safetensors>();
  const entry = (name: string) => {
    const e = entries.get(name);
    if (!e) {
      throw new WorkbenchError('MODEL_WEIGHTS_INVALID', `${dir}: the weights have no tensor "${name}" (in ${files.join(', ')}).`, 'The weights do not match config.json; download the model again or check its format.');
    }
    return e;
  };
  return {
    dir,
    files,
    entries,
    paramCount,
    dtypes: [...dtypes].sort(),
    has: (name) => entries.has(name),
    shape: (name) => [...entry(name).shape],
    tensor(name, expected) {
      const e = entry(name);
      if (expected && (e.shape.length !== expected.length || e.shape.some((d, i) => d !== expected[i]))) {
        throw new WorkbenchError('MODEL_WEIGHTS_INVALID', `${join(dir, e.file)}: tensor "${name}" has shape ${shapeText(e.shape)} but config.json implies ${shapeText(expected)}.`, 'The weights and config.json belong to different models; download the model again.');
      }
      let st = opened.get(e.file);
      if (!st) {
        st = readSafetensors(join(dir, e.file));
        opened.set(e.file, st);
      }
      return { data: toFloat32(st.get(name)), shape: [...e.shape] };
    },
  };
}
