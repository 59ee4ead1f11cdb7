/**
 * THE cosine of two directions in a model's activation space, defined once:
 *   cos(a, b) = sum_i a_i b_i / (sqrt(sum_i a_i^2) * sqrt(sum_i b_i^2)),
 * accumulated in float64 from the stored values (float32, float16, bfloat16 or float64), so the
 * same two rows give the same number on every machine. Directions are an SAE feature's decoder
 * row W_dec[f] (its direction in the hook's space; the scale is irrelevant to a cosine, so a
 * folded or unfolded decoder norm gives the same value) or a 1-D tensor of d_in values in a
 * safetensors file (a probe, a steering vector, the demo's planted direction). Only the bytes of
 * the one row are read, never the whole weight file.
 *
 * A cosine between two SAEs' features means something only when both read the same basis (the
 * same model, or a fine-tune that kept the base's residual stream): the API says so, the numbers
 * cannot.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DirectionCosine } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { withFile } from '../formats/openedFile';
import { readSaeConfig, SAE_WEIGHTS_FILE } from '../formats/saeConfig';
import { dtypeSize, readSafetensorsHeader, toFloat32, type SafetensorsDtype, type SafetensorsEntry } from '../formats/safetensors';
import { identityLabel } from '../library/identity';

export interface Direction {
  /** "W_dec[255] of demo-adhd/blocks.2.hook_resid_post". */
  description: string;
  values: Float64Array;
}

const FLOAT_DTYPES: ReadonlySet<SafetensorsDtype> = new Set(['F64', 'F32', 'F16', 'BF16']);

function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** cos(a, b) in float64; refuses directions of different sizes, zero directions and non-finite values. */
export function directionCosine(a: Direction, b: Direction): DirectionCosine {
  if (a.values.length !== b.values.length) {
    throw new WorkbenchError(
      'DIRECTION_SIZE_MISMATCH',
      `${a.description} has ${a.values.length} values (d_in ${a.values.length}) but ${b.description} has ${b.values.length}: they live in different spaces, so they have no cosine.`,
      'Compare directions of the same width: features of SAEs on the same hook size, or a vector of d_in values.',
    );
  }
  for (const d of [a, b]) {
    const bad = d.values.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new WorkbenchError('DIRECTION_NONFINITE', `${d.description} holds ${d.values[bad]} at entry ${bad}.`, 'The weights or the vector are damaged; re-export them.');
  }
  let dot = 0;
  for (let i = 0; i < a.values.length; i++) dot += a.values[i] * b.values[i];
  const na = norm(a.values);
  const nb = norm(b.values);
  for (const [d, n] of [[a, na], [b, nb]] as const) {
    if (n === 0) throw new WorkbenchError('DIRECTION_ZERO', `${d.description} is all zeros: it has no direction, so no cosine.`, 'Choose another feature or vector.');
  }
  // Rounding can carry |cos| a hair past 1 for (anti)parallel directions.
  const cosine = Math.max(-1, Math.min(1, dot / (na * nb)));
  return { cosine, a: { description: a.description, dIn: a.values.length, norm: na }, b: { description: b.description, dIn: b.values.length, norm: nb } };
}

function asFloat64(entry: SafetensorsEntry, bytes: Uint8Array): Float64Array {
  if (entry.dtype === 'F64') {
    const copy = new Uint8Array(bytes); // aligned copy
    return new Float64Array(copy.buffer, 0, copy.byteLength / 8).slice();
  }
  return Float64Array.from(toFloat32({ dtype: entry.dtype, bytes: () => bytes, name: entry.name }));
}

function readBytes(file: string, offset: number, length: number): Uint8Array {
  return withFile(file, (fd) => {
    const out = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = fs.readSync(fd, out, got, length - got, offset + got);
      if (n === 0) throw new WorkbenchError('SAFETENSORS_INVALID', `${file}: ended before the bytes of the requested row; the file is truncated.`, 'Download or export the file again.');
      got += n;
    }
    return out;
  });
}

/** W_dec[feature] of the SAE in `saeDir`, read row-only from its weights. */
export function decoderDirection(saeDir: string, feature: number): Direction {
  const dir = path.resolve(saeDir);
  const cfg = readSaeConfig(dir);
  const name = identityLabel('sae', dir, { saeModelName: cfg.modelName });
  if (!Number.isSafeInteger(feature) || feature < 0 || feature >= cfg.dSae) {
    throw new WorkbenchError('FEATURE_OUT_OF_RANGE', `Feature ${feature} does not exist in the SAE ${name}: it has d_sae ${cfg.dSae} (ids 0-${cfg.dSae - 1}).`, `Choose a feature from 0 to ${cfg.dSae - 1}.`);
  }
  const file = path.join(dir, SAE_WEIGHTS_FILE);
  const header = readSafetensorsHeader(file);
  const entry = header.entries.find((e) => e.name === 'W_dec');
  if (!entry) throw new WorkbenchError('SAE_WEIGHTS_INVALID', `${file}: has no W_dec tensor (it has ${header.entries.map((e) => e.name).join(', ')}).`, 'A sae_lens SAE stores its decoder as W_dec [d_sae, d_in]; re-export the SAE with sae_lens.');
  if (entry.shape.length !== 2 || entry.shape[0] !== cfg.dSae || entry.shape[1] !== cfg.dIn) {
    throw new WorkbenchError('SAE_WEIGHTS_INVALID', `${file}: W_dec has shape [${entry.shape.join(', ')}], but cfg.json says [d_sae ${cfg.dSae}, d_in ${cfg.dIn}].`, 'The config and the weights disagree; re-export the SAE.');
  }
  if (!FLOAT_DTYPES.has(entry.dtype)) throw new WorkbenchError('SAE_WEIGHTS_INVALID', `${file}: W_dec is ${entry.dtype}, not a float type.`, 'Re-export the SAE with float weights.');
  const rowBytes = cfg.dIn * dtypeSize(entry.dtype);
  const bytes = readBytes(file, header.dataStart + entry.begin + feature * rowBytes, rowBytes);
  return { description: `W_dec[${feature}] of ${name}`, values: asFloat64(entry, bytes) };
}

/**
 * A 1-D tensor of a safetensors file as a direction: `tensor` names it; left out, the file's only
 * 1-D tensor (or its only one of `dIn` values) is used.
 */
export function fileDirection(file: string, tensor: string | undefined, dIn: number | null): Direction {
  const abs = path.resolve(file);
  const header = readSafetensorsHeader(abs);
  const list = header.entries.map((e) => `${e.name} [${e.shape.join(', ')}]`).join(', ') || 'no tensors';
  let entry: SafetensorsEntry | undefined;
  if (tensor !== undefined) {
    entry = header.entries.find((e) => e.name === tensor);
    if (!entry) throw new WorkbenchError('TENSOR_NOT_FOUND', `${abs} has no tensor "${tensor}" (it has ${list}).`, 'Name one of the tensors it has.');
  } else {
    const vectors = header.entries.filter((e) => e.shape.length === 1);
    const sized = dIn === null ? vectors : vectors.filter((e) => e.shape[0] === dIn);
    entry = vectors.length === 1 ? vectors[0] : sized.length === 1 ? sized[0] : undefined;
    if (!entry) {
      throw new WorkbenchError(
        'TENSOR_NOT_FOUND',
        vectors.length === 0 ? `${abs} holds no 1-D tensor (it has ${list}): a direction is a vector of d_in values.` : `${abs} holds several 1-D tensors (${list}): name the one to use.`,
        vectors.length === 0 ? 'Save the direction as a 1-D tensor of d_in values.' : 'Give its name (the "tensor" field, e.g. "direction").',
      );
    }
  }
  if (entry.shape.length !== 1) throw new WorkbenchError('DIRECTION_SHAPE', `${entry.name} in ${abs} has shape [${entry.shape.join(', ')}]; a direction is a 1-D tensor of d_in values.`, 'Save the direction as a 1-D tensor (e.g. v.flatten()).');
  if (!FLOAT_DTYPES.has(entry.dtype)) throw new WorkbenchError('DIRECTION_SHAPE', `${entry.name} in ${abs} is ${entry.dtype}, not a float type.`, 'Save the direction as float32 (or float16, bfloat16, float64).');
  const bytes = readBytes(abs, header.dataStart + entry.begin, entry.end - entry.begin);
  return { description: `${entry.name} in ${path.basename(abs)}`, values: asFloat64(entry, bytes) };
}
