/**
 * Tensors in the contract, and how they cross the WebSocket (the Python client's transport).
 *
 * A tensor is `{dtype, shape, data}` with `data` a typed array in the machine's (little-endian)
 * order. Over Electron IPC it travels as it is (structured clone). Over the WebSocket it is never
 * a JSON number list: the JSON message holds a placeholder and the bytes follow in binary frames.
 *
 * Wire format (both directions, requests and responses alike):
 * - The JSON text message carries `"attachments": N` (N tensors, 0..MAX_TENSORS_PER_MESSAGE) next
 *   to its `id`, and N placeholders `{"$tensor": k, "dtype": "F32", "shape": [n, d]}` (k = 0..N-1,
 *   each exactly once) where the tensors sit in `params` or `result`.
 * - Tensor k's bytes, prod(shape) x the dtype's size, raw little-endian, travel in binary frames
 *   of at most TENSOR_CHUNK_BYTES each, in order; a tensor of 0 bytes has no frames. Every binary
 *   frame starts with a 16-byte header of little-endian u32s: the magic TENSOR_FRAME_MAGIC
 *   ("SWT1"), the message id, k, and the chunk's index (0, 1, 2, ... per tensor).
 * - Frames of different messages may interleave with each other and with text messages (events,
 *   other responses); the header says where each belongs. A request is run once all of its
 *   tensors have arrived; a response is complete once all of its tensors have.
 * - Messages that carry tensors need an id from 0 to 2^32 - 1.
 * - The core closes a connection that sends a binary frame it did not announce or out of order
 *   (a short or foreign header, an unknown id or tensor, a skipped chunk) with 1003, and one whose
 *   bytes overrun the announced dtype x shape with 1007. A malformed announcement is answered
 *   in-band (BAD_REQUEST) and its frames are dropped.
 */
import { z } from 'zod';

/** safetensors' dtype names, for the element types the contract uses. */
export const TENSOR_DTYPES = ['F32', 'F64', 'I32', 'I64'] as const;
export type TensorDtype = (typeof TENSOR_DTYPES)[number];
export const TENSOR_DTYPE_BYTES: Record<TensorDtype, number> = { F32: 4, F64: 8, I32: 4, I64: 8 };

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array;

export interface Tensor {
  dtype: TensorDtype;
  shape: number[];
  data: TensorData;
}

export const TENSOR_FRAME_MAGIC = 0x31545753; // "SWT1" read as a little-endian u32
export const TENSOR_FRAME_HEADER_BYTES = 16;
/** Payload bytes per binary frame (the frame stays far below MAX_WIRE_REQUEST_BYTES). */
export const TENSOR_CHUNK_BYTES = 4 * 1024 * 1024;
export const MAX_TENSORS_PER_MESSAGE = 64;
/** The most tensor bytes one connection may have announced and not yet delivered to the core. */
export const MAX_TENSOR_UPLOAD_BYTES = 1024 * 1024 * 1024;
export const MAX_TENSOR_DIMS = 8;

const ARRAY_OF: Record<TensorDtype, new (n: number) => TensorData> = { F32: Float32Array, F64: Float64Array, I32: Int32Array, I64: BigInt64Array };

export function tensorElements(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Whether a value is a Tensor whose data has the dtype's array type and prod(shape) elements. */
export function isTensor(v: unknown): v is Tensor {
  if (!v || typeof v !== 'object') return false;
  const t = v as Partial<Tensor>;
  if (typeof t.dtype !== 'string' || !(TENSOR_DTYPES as readonly string[]).includes(t.dtype)) return false;
  if (!Array.isArray(t.shape) || t.shape.length > MAX_TENSOR_DIMS || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return false;
  return t.data instanceof ARRAY_OF[t.dtype] && t.data.length === tensorElements(t.shape);
}

/** A tensor param: checked for dtype, rank and the last dimension's size by the handler. */
export const TensorSchema = z.custom<Tensor>(isTensor, 'a tensor {dtype, shape, data} whose data holds prod(shape) values of its dtype (sent as a binary attachment over the WebSocket)');
