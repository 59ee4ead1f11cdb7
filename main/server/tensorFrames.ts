/**
 * Tensors over the API WebSocket (the wire format is documented in preload/contract/tensors.ts):
 * placeholders in the JSON message, bytes in binary frames with a 16-byte header. This module is
 * the format; apiSocket.ts drives it per connection.
 */
import {
  MAX_TENSOR_DIMS,
  MAX_TENSOR_UPLOAD_BYTES,
  MAX_TENSORS_PER_MESSAGE,
  TENSOR_CHUNK_BYTES,
  TENSOR_DTYPE_BYTES,
  TENSOR_DTYPES,
  TENSOR_FRAME_HEADER_BYTES,
  TENSOR_FRAME_MAGIC,
  isTensor,
  type Tensor,
  type TensorData,
  type TensorDtype,
} from '../../preload/api';

/** A tensor a message announced: what its bytes must add up to. */
export interface TensorSpec {
  dtype: TensorDtype;
  shape: number[];
  bytes: number;
}

/** Placeholders nest no deeper than this in a message (params are shallow; this bounds the walk). */
const MAX_DEPTH = 32;

export function isMessageId(id: unknown): id is number {
  return Number.isSafeInteger(id) && (id as number) >= 0 && (id as number) <= 0xffffffff;
}

/** Replace every Tensor inside a result with its placeholder; the tensors in placeholder order. */
export function detachTensors(value: unknown): { value: unknown; tensors: Tensor[] } {
  const tensors: Tensor[] = [];
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return v;
    if (isTensor(v)) {
      tensors.push(v);
      return { $tensor: tensors.length - 1, dtype: v.dtype, shape: v.shape };
    }
    if (Array.isArray(v)) return v.some((x) => x !== null && typeof x === 'object') ? v.map((x) => walk(x, depth + 1)) : v;
    if (ArrayBuffer.isView(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x, depth + 1);
    return out;
  };
  const out = walk(value, 0);
  return { value: tensors.length ? out : value, tensors };
}

/** A malformed announcement: answered in-band, the message's frames dropped. */
export class AnnouncementError extends Error {}

function isPlaceholder(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, '$tensor');
}

function specOf(p: Record<string, unknown>, count: number): { index: number; spec: TensorSpec } {
  const where = `placeholder ${JSON.stringify(p).slice(0, 120)}`;
  if (Object.keys(p).some((k) => !['$tensor', 'dtype', 'shape'].includes(k))) throw new AnnouncementError(`${where}: a placeholder has exactly the keys $tensor, dtype and shape.`);
  const index = p.$tensor;
  if (!Number.isSafeInteger(index) || (index as number) < 0 || (index as number) >= count) throw new AnnouncementError(`${where}: $tensor must be an integer from 0 to attachments - 1 (${count - 1}).`);
  if (typeof p.dtype !== 'string' || !(TENSOR_DTYPES as readonly string[]).includes(p.dtype)) throw new AnnouncementError(`${where}: dtype must be one of ${TENSOR_DTYPES.join(', ')}.`);
  const shape = p.shape;
  if (!Array.isArray(shape) || shape.length > MAX_TENSOR_DIMS || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new AnnouncementError(`${where}: shape must be a list of at most ${MAX_TENSOR_DIMS} non-negative integers.`);
  let bytes = TENSOR_DTYPE_BYTES[p.dtype as TensorDtype];
  for (const d of shape as number[]) {
    bytes *= d;
    if (bytes > MAX_TENSOR_UPLOAD_BYTES) throw new AnnouncementError(`${where}: the tensor is over ${MAX_TENSOR_UPLOAD_BYTES} bytes, the most one connection may send at once.`);
  }
  return { index: index as number, spec: { dtype: p.dtype as TensorDtype, shape: shape as number[], bytes } };
}

/** The tensors a request's params announce, in index order; each of 0..count-1 exactly once. */
export function announcedTensors(params: unknown, count: unknown): TensorSpec[] {
  if (!Number.isSafeInteger(count) || (count as number) < 0 || (count as number) > MAX_TENSORS_PER_MESSAGE) throw new AnnouncementError(`attachments must be an integer from 0 to ${MAX_TENSORS_PER_MESSAGE}.`);
  const n = count as number;
  const specs: (TensorSpec | undefined)[] = new Array(n);
  const walk = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object') return;
    if (depth > MAX_DEPTH) throw new AnnouncementError(`params nest deeper than ${MAX_DEPTH} levels.`);
    if (isPlaceholder(v)) {
      const { index, spec } = specOf(v, n);
      if (specs[index]) throw new AnnouncementError(`$tensor ${index} appears twice.`);
      specs[index] = spec;
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x, depth + 1);
  };
  walk(params, 0);
  const missing = specs.findIndex((s) => s === undefined);
  if (n > 0 && (missing >= 0 || specs.length !== n)) throw new AnnouncementError(`attachments is ${n} but no placeholder names $tensor ${missing}.`);
  return specs as TensorSpec[];
}

/** Put the received tensors where their placeholders are. */
export function attachTensors(value: unknown, tensors: Tensor[]): unknown {
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (isPlaceholder(v)) return tensors[v.$tensor as number];
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x);
    return out;
  };
  return walk(value);
}

export interface FrameHeader {
  id: number;
  tensor: number;
  chunk: number;
  payload: Buffer;
}

/** A binary frame's header and payload, or null when it does not start with a tensor header. */
export function parseFrame(frame: Buffer): FrameHeader | null {
  if (frame.length < TENSOR_FRAME_HEADER_BYTES || frame.readUInt32LE(0) !== TENSOR_FRAME_MAGIC) return null;
  return { id: frame.readUInt32LE(4), tensor: frame.readUInt32LE(8), chunk: frame.readUInt32LE(12), payload: frame.subarray(TENSOR_FRAME_HEADER_BYTES) };
}

function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The binary frames that carry a message's tensors, in order. */
export function* tensorFrames(id: number, tensors: readonly Tensor[], chunkBytes = TENSOR_CHUNK_BYTES): Generator<Buffer> {
  for (let k = 0; k < tensors.length; k++) {
    const bytes = bytesOf(tensors[k].data);
    for (let chunk = 0, at = 0; at < bytes.length; chunk++, at += chunkBytes) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + chunkBytes));
      const frame = Buffer.allocUnsafe(TENSOR_FRAME_HEADER_BYTES + piece.length);
      frame.writeUInt32LE(TENSOR_FRAME_MAGIC, 0);
      frame.writeUInt32LE(id, 4);
      frame.writeUInt32LE(k, 8);
      frame.writeUInt32LE(chunk, 12);
      frame.set(piece, TENSOR_FRAME_HEADER_BYTES);
      yield frame;
    }
  }
}

/** Why a frame was refused, with the close code the connection gets (RFC 6455 7.4.1). */
export class FrameError extends Error {
  constructor(
    readonly closeCode: 1003 | 1007,
    message: string,
  ) {
    super(message);
  }
}

const ARRAY_OF: Record<TensorDtype, new (buffer: ArrayBuffer) => TensorData> = { F32: Float32Array, F64: Float64Array, I32: Int32Array, I64: BigInt64Array };

/** One message's tensors being received: chunks in order, no byte more than announced. */
export class TensorAssembly {
  private readonly buffers: (ArrayBuffer | null)[];
  private readonly received: number[];
  private readonly nextChunk: number[];
  private pending: number;
  readonly totalBytes: number;

  constructor(readonly specs: readonly TensorSpec[]) {
    this.buffers = specs.map(() => null);
    this.received = specs.map(() => 0);
    this.nextChunk = specs.map(() => 0);
    this.pending = specs.filter((s) => s.bytes > 0).length;
    this.totalBytes = specs.reduce((n, s) => n + s.bytes, 0);
  }

  get complete(): boolean {
    return this.pending === 0;
  }

  accept(tensor: number, chunk: number, payload: Uint8Array): void {
    const spec = this.specs[tensor];
    if (!spec) throw new FrameError(1003, `tensor ${tensor} was not announced`);
    if (chunk !== this.nextChunk[tensor]) throw new FrameError(1003, `tensor ${tensor}: chunk ${chunk} where ${this.nextChunk[tensor]} was due`);
    const at = this.received[tensor];
    if (at + payload.length > spec.bytes) throw new FrameError(1007, `tensor ${tensor}: ${at + payload.length} bytes for ${spec.dtype} [${spec.shape.join(', ')}] (${spec.bytes} bytes)`);
    const buffer = (this.buffers[tensor] ??= new ArrayBuffer(spec.bytes));
    new Uint8Array(buffer).set(payload, at);
    this.received[tensor] = at + payload.length;
    this.nextChunk[tensor]++;
    if (this.received[tensor] === spec.bytes && payload.length > 0) this.pending--;
  }

  tensors(): Tensor[] {
    return this.specs.map((s, k) => ({ dtype: s.dtype, shape: s.shape, data: new ARRAY_OF[s.dtype](this.buffers[k] ?? new ArrayBuffer(0)) }));
  }
}
