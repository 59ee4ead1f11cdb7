/**
 * safetensors (https://github.com/huggingface/safetensors) reader and writer.
 *
 * Layout: u64 little-endian header length N, N bytes of UTF-8 JSON
 * ({"__metadata__": {str: str}, name: {dtype, shape, data_offsets: [begin, end]}}), then the data
 * area; offsets are relative to the data area and the tensors tile it exactly. Validation follows
 * the reference implementation, so a file this reader accepts is one Python would accept too.
 */
import { readSync } from 'node:fs';
import { WorkbenchError } from '../errors';
import { writeFileAtomic } from '../outputs/atomicFile';
import { decodeBF16, decodeF16, encodeBF16, encodeF16, f8e4m3BitsToNumber, f8e5m2BitsToNumber } from './halfFloat';
import { withFile } from './openedFile';
import type { Tensor32 } from './tensor';

export const SAFETENSORS_DTYPES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPES;

/** The reference implementation refuses headers above 100 MB; so do we (a corrupt length must not allocate gigabytes). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Files up to this size are read whole (zero-copy views); larger ones are read tensor by tensor. */
const WHOLE_FILE_LIMIT = 1 << 30;

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Offsets relative to the data area. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** File name (or label) used in error messages. */
  file: string;
  metadata: Record<string, string> | null;
  /** Tensors in data-area order. */
  entries: SafetensorsEntry[];
  /** 8 + N: where the data area starts in the file. */
  dataStart: number;
  dataBytes: number;
}

export interface SafetensorsTensor extends SafetensorsEntry {
  /** The raw little-endian bytes; a view into the file buffer when the file was read whole. */
  bytes(): Uint8Array;
}

export interface Safetensors extends SafetensorsHeader {
  tensors: Map<string, SafetensorsTensor>;
  /** The named tensor; a WorkbenchError listing what the file has when it is missing. */
  get(name: string): SafetensorsTensor;
  has(name: string): boolean;
}

function invalid(file: string, message: string, hint = 'The file is not a valid safetensors file; re-download or re-export it.'): WorkbenchError {
  return new WorkbenchError('SAFETENSORS_INVALID', `${file}: ${message}`, hint);
}

function isDtype(s: unknown): s is SafetensorsDtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPES, s);
}

export function dtypeSize(dtype: SafetensorsDtype): number {
  return SAFETENSORS_DTYPES[dtype];
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function readHeaderLength(file: string, first8: Uint8Array, fileSize: number): number {
  if (fileSize < 8) throw invalid(file, `is ${fileSize} bytes long; a safetensors file starts with an 8-byte header length.`);
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw invalid(file, `header length ${n} bytes is over the ${MAX_HEADER_BYTES}-byte limit (file is ${fileSize} bytes); the file is corrupt or not safetensors.`);
  const len = Number(n);
  if (8 + len > fileSize) throw invalid(file, `header length ${len} bytes extends beyond the end of the file (${fileSize} bytes, so at most ${fileSize - 8}); the file is truncated or not safetensors.`);
  return len;
}

/** Validate the JSON header and the data-area tiling. */
function parseHeaderJson(file: string, headerBytes: Uint8Array, dataStart: number, dataBytes: number): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw invalid(file, 'header is not valid UTF-8.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(file, `header is not valid JSON (${(err as Error).message}).`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalid(file, `header JSON is ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}, not an object.`);

  let metadata: Record<string, string> | null = null;
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(file, '__metadata__ must be an object of strings.');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw invalid(file, `__metadata__.${k} is ${JSON.stringify(v)}, not a string.`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    entries.push(parseEntry(file, name, value));
  }

  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of ordered) {
    if (e.begin < cursor) throw invalid(file, `tensor "${e.name}" data_offsets [${e.begin}, ${e.end}] overlap the previous tensor, which ends at ${cursor}.`);
    if (e.begin > cursor) throw invalid(file, `tensor "${e.name}" starts at ${e.begin} but the previous tensor ends at ${cursor}; offsets must be contiguous.`);
    cursor = e.end;
  }
  if (cursor > dataBytes) {
    throw invalid(file, `is truncated: its tensors need ${cursor} data bytes but only ${dataBytes} follow the header (${cursor - dataBytes} bytes missing).`, 'The download was interrupted or the file was cut; download it again.');
  }
  if (cursor < dataBytes) throw invalid(file, `has ${dataBytes - cursor} bytes after the last tensor (tensors cover ${cursor} of ${dataBytes} data bytes).`);
  return { file, metadata, entries: ordered, dataStart, dataBytes };
}

function parseEntry(file: string, name: string, value: unknown): SafetensorsEntry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(file, `tensor "${name}" is ${JSON.stringify(value)}, not an object with dtype, shape and data_offsets.`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDtype(dtype)) throw invalid(file, `tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}; known: ${Object.keys(SAFETENSORS_DTYPES).join(', ')}.`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw invalid(file, `tensor "${name}" shape ${JSON.stringify(shape)} is not a list of non-negative integers.`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalid(file, `tensor "${name}" data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers.`);
  }
  const [begin, end] = offsets as number[];
  if (end < begin) throw invalid(file, `tensor "${name}" data_offsets [${begin}, ${end}] end before they begin.`);
  const n = elementCount(shape as number[]);
  const expected = n * dtypeSize(dtype);
  if (!Number.isSafeInteger(expected)) throw invalid(file, `tensor "${name}" shape ${JSON.stringify(shape)} is too large.`);
  if (end - begin !== expected) {
    throw invalid(file, `tensor "${name}" (${dtype} [${(shape as number[]).join(', ')}]) needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}.`);
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

function withAccessors(header: SafetensorsHeader, bytesOf: (e: SafetensorsEntry) => Uint8Array): Safetensors {
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of header.entries) tensors.set(e.name, { ...e, bytes: () => bytesOf(e) });
  return {
    ...header,
    tensors,
    has: (name) => tensors.has(name),
    get(name) {
      const t = tensors.get(name);
      if (!t) {
        const names = [...tensors.keys()];
        const shown = names.slice(0, 12).join(', ') + (names.length > 12 ? `, ... (${names.length} in all)` : '');
        throw new WorkbenchError('TENSOR_MISSING', `${header.file}: has no tensor "${name}" (it has: ${shown || 'none'}).`, 'The file does not match the expected format; check that the right file was chosen.');
      }
      return t;
    },
  };
}

/** Parse a whole safetensors file held in memory. Tensor bytes are views into `buffer`, not copies. */
export function parseSafetensors(buffer: Uint8Array, fileNameForErrors = 'safetensors buffer'): Safetensors {
  const n = readHeaderLength(fileNameForErrors, buffer.subarray(0, 8), buffer.byteLength);
  const dataStart = 8 + n;
  const header = parseHeaderJson(fileNameForErrors, buffer.subarray(8, dataStart), dataStart, buffer.byteLength - dataStart);
  return withAccessors(header, (e) => buffer.subarray(dataStart + e.begin, dataStart + e.end));
}

function readExactly(fd: number, length: number, position: number): Uint8Array {
  // A fresh Uint8Array (never Buffer's shared pool) so typed views on it are 8-byte aligned.
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const got = readSync(fd, out, done, length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return out;
}

/** Read and validate only the header: cheap even for multi-gigabyte files. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  return withFile(file, (fd, size) => {
    const n = readHeaderLength(file, readExactly(fd, Math.min(8, size), 0), size);
    return parseHeaderJson(file, readExactly(fd, n, 8), 8 + n, size - 8 - n);
  });
}

/**
 * Read a safetensors file. Up to 1 GiB (or `wholeFileLimit`) it is read whole and tensors are views
 * into it; larger files keep only the header in memory and read each tensor from disk when its
 * bytes() is called (Node cannot read files over 2 GiB into one buffer anyway).
 */
export function readSafetensors(file: string, options: { wholeFileLimit?: number } = {}): Safetensors {
  const whole = withFile(file, (fd, size) => (size <= (options.wholeFileLimit ?? WHOLE_FILE_LIMIT) ? readExactly(fd, size, 0) : null));
  if (whole) return parseSafetensors(whole, file);
  const header = readSafetensorsHeader(file);
  return withAccessors(header, (e) => withFile(file, (fd) => readExactly(fd, e.end - e.begin, header.dataStart + e.begin)));
}

function typedView<T>(bytes: Uint8Array, align: number, make: (buf: ArrayBufferLike, offset: number, length: number) => T): T {
  const length = bytes.byteLength / align;
  if (bytes.byteOffset % align === 0) return make(bytes.buffer, bytes.byteOffset, length);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return make(copy.buffer, 0, length);
}

/**
 * Any supported dtype as float32. F32 data that is 4-byte aligned comes back as a view (no copy):
 * callers that mutate the result must copy it first. Integers beyond 2^24 round to float32.
 */
export function toFloat32(tensor: { dtype: SafetensorsDtype; bytes(): Uint8Array; name?: string }): Float32Array {
  const bytes = tensor.bytes();
  switch (tensor.dtype) {
    case 'F32':
      return typedView(bytes, 4, (b, o, n) => new Float32Array(b, o, n));
    case 'F16':
      return decodeF16(typedView(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case 'BF16':
      return decodeBF16(typedView(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case 'F64':
      return Float32Array.from(typedView(bytes, 8, (b, o, n) => new Float64Array(b, o, n)));
    case 'I64':
    case 'U64': {
      const words = typedView(bytes, 4, (b, o, n) => new Uint32Array(b, o, n));
      const out = new Float32Array(words.length / 2);
      const signed = tensor.dtype === 'I64';
      for (let i = 0; i < out.length; i++) {
        const lo = words[2 * i];
        const hi = words[2 * i + 1];
        out[i] = (signed ? hi | 0 : hi) * 4294967296 + lo;
      }
      return out;
    }
    case 'I32':
      return Float32Array.from(typedView(bytes, 4, (b, o, n) => new Int32Array(b, o, n)));
    case 'U32':
      return Float32Array.from(typedView(bytes, 4, (b, o, n) => new Uint32Array(b, o, n)));
    case 'I16':
      return Float32Array.from(typedView(bytes, 2, (b, o, n) => new Int16Array(b, o, n)));
    case 'U16':
      return Float32Array.from(typedView(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case 'I8':
      return Float32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    case 'U8':
      return Float32Array.from(bytes);
    case 'BOOL':
      return Float32Array.from(bytes, (b) => (b ? 1 : 0));
    case 'F8_E4M3':
      return Float32Array.from(bytes, f8e4m3BitsToNumber);
    case 'F8_E5M2':
      return Float32Array.from(bytes, f8e5m2BitsToNumber);
  }
}

/** A tensor as the canonical Tensor32 (converted to float32; see toFloat32 about views). */
export function readTensor32(st: Safetensors, name: string): Tensor32 {
  const t = st.get(name);
  return { data: toFloat32(t), shape: [...t.shape] };
}

// ---------------------------------------------------------------------------------------------
// Writer

export type TensorData = Float32Array | Float64Array | Uint16Array | Int16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Int8Array | Uint8Array;

export interface TensorToWrite {
  dtype: SafetensorsDtype;
  shape: number[];
  /**
   * Values in the typed array matching the dtype (F16/BF16 also accept a Float32Array, rounded to
   * nearest even, or Uint16Array raw bits); a Uint8Array is taken as raw little-endian bytes.
   */
  data: TensorData;
}

function encodeData(name: string, t: TensorToWrite): Uint8Array {
  const n = elementCount(t.shape);
  const want = n * dtypeSize(t.dtype);
  let bytes: Uint8Array;
  const d = t.data;
  if ((t.dtype === 'F16' || t.dtype === 'BF16') && d instanceof Float32Array) {
    const bits = t.dtype === 'F16' ? encodeF16(d) : encodeBF16(d);
    bytes = new Uint8Array(bits.buffer);
  } else {
    const ok: Record<SafetensorsDtype, (x: TensorData) => boolean> = {
      F32: (x) => x instanceof Float32Array,
      F64: (x) => x instanceof Float64Array,
      F16: (x) => x instanceof Uint16Array,
      BF16: (x) => x instanceof Uint16Array,
      I64: (x) => x instanceof BigInt64Array,
      U64: (x) => x instanceof BigUint64Array,
      I32: (x) => x instanceof Int32Array,
      U32: (x) => x instanceof Uint32Array,
      I16: (x) => x instanceof Int16Array,
      U16: (x) => x instanceof Uint16Array,
      I8: (x) => x instanceof Int8Array,
      U8: (x) => x instanceof Uint8Array,
      BOOL: (x) => x instanceof Uint8Array,
      F8_E4M3: (x) => x instanceof Uint8Array,
      F8_E5M2: (x) => x instanceof Uint8Array,
    };
    if (!(d instanceof Uint8Array) && !ok[t.dtype](d)) {
      throw new WorkbenchError('SAFETENSORS_WRITE', `Tensor "${name}": a ${d.constructor.name} cannot be written as ${t.dtype}.`, 'Pass the typed array that matches the dtype, or raw bytes as a Uint8Array.');
    }
    bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  }
  if (bytes.byteLength !== want) {
    throw new WorkbenchError('SAFETENSORS_WRITE', `Tensor "${name}": ${t.dtype} [${t.shape.join(', ')}] needs ${want} bytes but the data has ${bytes.byteLength}.`, 'Check the shape against the data length.');
  }
  return bytes;
}

/**
 * Serialise like the reference implementation: tensors ordered by dtype size (largest first, so
 * every tensor is aligned to its element size) then name; `__metadata__` first; the header padded
 * with spaces to a multiple of 8 bytes.
 */
export function encodeSafetensors(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Buffer {
  const names = Object.keys(tensors).sort((a, b) => {
    const da = dtypeSize(tensors[a].dtype);
    const db = dtypeSize(tensors[b].dtype);
    return db - da || (a < b ? -1 : a > b ? 1 : 0);
  });
  if (names.includes('__metadata__')) throw new WorkbenchError('SAFETENSORS_WRITE', 'A tensor cannot be named "__metadata__".', 'Rename the tensor.');
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    if (!isDtype(t.dtype)) throw new WorkbenchError('SAFETENSORS_WRITE', `Tensor "${name}": unknown dtype ${JSON.stringify(t.dtype)}.`, `Use one of ${Object.keys(SAFETENSORS_DTYPES).join(', ')}.`);
    const bytes = encodeData(name, t);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.byteLength % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = Buffer.allocUnsafe(8 + json.byteLength + offset);
  out.writeBigUInt64LE(BigInt(json.byteLength), 0);
  json.copy(out, 8);
  let pos = 8 + json.byteLength;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  return out;
}

/**
 * Write atomically (outputs/atomicFile: a temp file in the same folder, flushed, renamed over the
 * target), so a crash leaves either the old file or the complete new one.
 */
export function writeSafetensors(file: string, tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): void {
  const buf = encodeSafetensors(tensors, metadata);
  try {
    writeFileAtomic(file, buf);
  } catch (err) {
    throw new WorkbenchError('FILE_NOT_WRITABLE', `Cannot write ${file}: ${(err as Error).message}`, 'Check that the folder exists and is writable and the disk has space.', { cause: err });
  }
}
