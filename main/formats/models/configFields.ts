/** Typed access to a model config.json with errors that name the file, field and value. */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { WorkbenchError } from '../../errors';
import { hubCachePathOf } from '../hubCachePath';
import { readTextFile } from '../openedFile';
import type { TransformerConfig } from '../transformer';

export type JsonObject = Record<string, unknown>;

/** Model configs are a few KB; a file this large is not one (and is not read whole). */
const MAX_CONFIG_BYTES = 16 << 20;

/** The parsed object, or null when the file is absent, unreadable or not a JSON object (for detect). */
export function tryReadJsonObject(file: string): JsonObject | null {
  if (!existsSync(file)) return null;
  try {
    const v = JSON.parse(readTextFile(file, MAX_CONFIG_BYTES)) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : null;
  } catch {
    return null;
  }
}

export function readJsonObject(file: string): JsonObject {
  let text: string;
  try {
    text = readTextFile(file, MAX_CONFIG_BYTES);
  } catch (err) {
    if ((err as WorkbenchError).code === 'NOT_A_FILE' || (err as WorkbenchError).code === 'FILE_TOO_LARGE') throw err;
    throw new WorkbenchError('MODEL_CONFIG_MISSING', `Cannot read ${file}: ${(err as Error).message}`, 'A model directory needs its config.json; download it with the weights.', { cause: err });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new WorkbenchError('MODEL_CONFIG_INVALID', `${file}: is not valid JSON (${(err as Error).message}).`, 'The file is damaged; download the model again.');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new WorkbenchError('MODEL_CONFIG_INVALID', `${file}: is not a JSON object.`, 'The file is damaged; download the model again.');
  return v as JsonObject;
}

/** Activation names as HF and TransformerLens configs spell them, mapped to the engine's. */
const ACTIVATIONS: Record<string, TransformerConfig['activation']> = {
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  gelu: 'gelu',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

export class ConfigFields {
  constructor(
    readonly file: string,
    readonly cfg: JsonObject,
  ) {}

  fail(field: string, value: unknown, expected: string): never {
    throw new WorkbenchError(
      'MODEL_CONFIG_INVALID',
      `${this.file}: field "${field}" is ${value === undefined ? 'missing' : JSON.stringify(value)}; expected ${expected}.`,
      'The model config is damaged or from an unsupported variant; compare it with the original config.json.',
    );
  }

  /** The activation named in `field`, or a MODEL_CONFIG_INVALID error listing the supported ones. */
  activation(field: string, value: unknown): TransformerConfig['activation'] {
    const act = typeof value === 'string' ? ACTIVATIONS[value] : undefined;
    return act ?? this.fail(field, value, Object.keys(ACTIVATIONS).map((a) => `"${a}"`).join(', '));
  }

  /** The first of `names` that is present (older configs used other names for the same field). */
  private first(names: string[]): [string, unknown] {
    for (const n of names) if (this.cfg[n] !== undefined && this.cfg[n] !== null) return [n, this.cfg[n]];
    return [names[0], undefined];
  }

  positiveInt(...names: string[]): number {
    const [n, v] = this.first(names);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) this.fail(n, v, 'a positive integer');
    return v;
  }

  optionalPositiveInt(fallback: number, ...names: string[]): number {
    const [, v] = this.first(names);
    return v === undefined ? fallback : this.positiveInt(...names);
  }

  positiveNumber(fallback: number, ...names: string[]): number {
    const [n, v] = this.first(names);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.fail(n, v, 'a positive number');
    return v;
  }

  bool(fallback: boolean, ...names: string[]): boolean {
    const [n, v] = this.first(names);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(n, v, 'true or false');
    return v;
  }

  tokenId(name: string): number | null {
    const v = this.cfg[name];
    if (v === undefined || v === null) return null;
    // Some configs list several ids; the first is the one tokenizers emit.
    const id = Array.isArray(v) ? v[0] : v;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) this.fail(name, v, 'a token id (non-negative integer)');
    return id;
  }

  optionalString(name: string): string | null {
    const v = this.cfg[name];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') this.fail(name, v, 'a string');
    return v;
  }

  oneOf<T extends string>(fallback: T, allowed: readonly T[], name: string): T {
    const v = this.cfg[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(name, v, allowed.map((a) => `"${a}"`).join(', '));
    return v as T;
  }
}

/**
 * A display name for a model folder, the same rule main/library/identity.ts applies: the repo id
 * (+ subfolder) for an HF cache snapshot, else the config's own name, else the folder name.
 */
export function modelNameFor(dir: string, fromConfig: string | null): string {
  const hub = hubCachePathOf(dir);
  if (hub) return hub.pathInRepo ? `${hub.repoId}/${hub.pathInRepo}` : hub.repoId;
  if (fromConfig) return fromConfig;
  return basename(dir) || basename(dirname(dir));
}

export const CONFIG_FILE = 'config.json';

export function configPath(dir: string): string {
  return join(dir, CONFIG_FILE);
}
