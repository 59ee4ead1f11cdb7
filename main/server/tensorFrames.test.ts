import { describe, expect, it } from 'vitest';
import { MAX_TENSOR_UPLOAD_BYTES, TENSOR_FRAME_HEADER_BYTES, type Tensor } from '../../preload/api';
import { AnnouncementError, FrameError, TensorAssembly, announcedTensors, attachTensors, detachTensors, parseFrame, tensorFrames } from './tensorFrames';

const f32: Tensor = { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2.5, 3, Math.PI, -0, 1e-30]) };
const i64: Tensor = { dtype: 'I64', shape: [4], data: BigInt64Array.from([0n, 5n, -1n, 2n ** 40n]) };

/** Send a message's tensors through frames of `chunk` bytes and reassemble them as the other side would. */
function roundTrip(tensors: Tensor[], chunk: number): Tensor[] {
  const { value } = detachTensors({ tensors });
  const specs = announcedTensors(value, tensors.length);
  const assembly = new TensorAssembly(specs);
  for (const frame of tensorFrames(7, tensors, chunk)) {
    const h = parseFrame(frame)!;
    expect(h.id).toBe(7);
    assembly.accept(h.tensor, h.chunk, h.payload);
  }
  expect(assembly.complete).toBe(true);
  return assembly.tensors();
}

describe('tensor frames', () => {
  it('carry tensors bit for bit through placeholders and chunked frames, every dtype, empty ones too', () => {
    const empty: Tensor = { dtype: 'F64', shape: [0, 5], data: new Float64Array(0) };
    const i32: Tensor = { dtype: 'I32', shape: [3], data: Int32Array.from([-7, 0, 2 ** 31 - 1]) };
    for (const chunk of [1, 5, 8, 1 << 20]) {
      const back = roundTrip([f32, i64, empty, i32], chunk);
      expect(back.map((t) => [t.dtype, t.shape])).toEqual([f32, i64, empty, i32].map((t) => [t.dtype, t.shape]));
      expect(Buffer.from(back[0].data.buffer).equals(Buffer.from(f32.data.buffer))).toBe(true);
      expect(back[1].data).toEqual(i64.data);
      expect(back[3].data).toEqual(i32.data);
      expect(Object.is((back[0].data as Float32Array)[4], -0)).toBe(true);
    }
  });

  it('replace tensors by placeholders in results and put them back in params', () => {
    const { value, tensors } = detachTensors({ model: 'm', tensors: { h: f32, tokens: i64 }, list: [{ t: f32 }] });
    expect(value).toEqual({ model: 'm', tensors: { h: { $tensor: 0, dtype: 'F32', shape: [2, 3] }, tokens: { $tensor: 1, dtype: 'I64', shape: [4] } }, list: [{ t: { $tensor: 2, dtype: 'F32', shape: [2, 3] } }] });
    expect(tensors).toEqual([f32, i64, f32]);
    expect(JSON.parse(JSON.stringify(value))).toEqual(value);
    expect(attachTensors(value, tensors)).toEqual({ model: 'm', tensors: { h: f32, tokens: i64 }, list: [{ t: f32 }] });
    expect(detachTensors({ a: [1, 2], b: 'x' })).toEqual({ value: { a: [1, 2], b: 'x' }, tensors: [] });
  });

  it('refuse malformed announcements by what is wrong', () => {
    const p = (k: unknown, dtype: unknown = 'F32', shape: unknown = [2]) => ({ $tensor: k, dtype, shape });
    const bad: [unknown, unknown, RegExp][] = [
      [{ x: p(0) }, 2, /no placeholder names \$tensor 1/],
      [{ x: p(0), y: p(0) }, 2, /appears twice/],
      [{ x: p(3) }, 1, /from 0 to attachments - 1/],
      [{ x: p(0, 'F16') }, 1, /dtype must be one of F32, F64, I32, I64/],
      [{ x: p(0, 'F32', [-1]) }, 1, /non-negative integers/],
      [{ x: p(0, 'F32', [1, 2, 3, 4, 5, 6, 7, 8, 9]) }, 1, /at most 8/],
      [{ x: p(0, 'F32', [2 ** 20, 2 ** 20]) }, 1, new RegExp(`over ${MAX_TENSOR_UPLOAD_BYTES} bytes`)],
      [{ x: { ...p(0), extra: 1 } }, 1, /exactly the keys/],
      [{}, 1.5, /attachments must be an integer/],
      [{}, 1000, /attachments must be an integer from 0 to/],
    ];
    for (const [params, n, message] of bad) expect(() => announcedTensors(params, n), JSON.stringify(params)).toThrow(message);
    expect(() => announcedTensors({ x: p(0) }, 1)).not.toThrow();
    expect(() => announcedTensors({}, 1)).toThrow(AnnouncementError);
  });

  it('refuse frames out of order with 1003 and bytes beyond the announced shape with 1007', () => {
    const specs = announcedTensors({ a: { $tensor: 0, dtype: 'F32', shape: [4] } }, 1);
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        return (err as FrameError).closeCode;
      }
      return null;
    };
    const a = new TensorAssembly(specs);
    expect(code(() => a.accept(1, 0, new Uint8Array(4)))).toBe(1003);
    expect(code(() => a.accept(0, 1, new Uint8Array(4)))).toBe(1003);
    expect(code(() => a.accept(0, 0, new Uint8Array(8)))).toBeNull();
    expect(code(() => a.accept(0, 1, new Uint8Array(12)))).toBe(1007);
    expect(parseFrame(Buffer.alloc(TENSOR_FRAME_HEADER_BYTES - 1))).toBeNull();
    expect(parseFrame(Buffer.from('SWT2'.padEnd(16, '\0')))).toBeNull();
  });
});
