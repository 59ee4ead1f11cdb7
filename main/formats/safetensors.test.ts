import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSafetensors, parseSafetensors, readSafetensors, readSafetensorsHeader, readTensor32, toFloat32, writeSafetensors } from './safetensors';
import { errorOf } from '../testing/workbenchErrors';

const dir = mkdtempSync(join(tmpdir(), 'st-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Build a file by hand: header JSON (padded as given) + data bytes. */
function rawFile(header: unknown, data: Uint8Array, pad = true): Buffer {
  let json = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  if (pad && json.length % 8) json = Buffer.concat([json, Buffer.alloc(8 - (json.length % 8), 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

describe('safetensors writer', () => {
  it('writes the same bytes as the reference implementation', () => {
    // Python: save_file({"a": torch.tensor([1.0, 2.0])}) -> this exact byte string.
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    const expected = Buffer.concat([Buffer.from([padded.length, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(padded), Buffer.from(new Float32Array([1, 2]).buffer)]);
    expect(encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } }).equals(expected)).toBe(true);
  });

  it('orders tensors by dtype size then name, puts metadata first, pads to 8 bytes', () => {
    const buf = encodeSafetensors(
      {
        z: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
        b: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
        a: { dtype: 'F32', shape: [1], data: new Float32Array([2]) },
        d: { dtype: 'F64', shape: [1], data: new Float64Array([3]) },
      },
      { format: 'pt' },
    );
    const n = Number(buf.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString());
    expect(Object.keys(header)).toEqual(['__metadata__', 'd', 'a', 'z', 'b']);
    expect(header.d.data_offsets).toEqual([0, 8]);
    expect(header.a.data_offsets).toEqual([8, 12]);
    expect(header.b.data_offsets).toEqual([16, 19]);
  });

  it('round-trips every dtype through a file, atomically', () => {
    const file = join(dir, 'all.safetensors');
    writeSafetensors(
      file,
      {
        f32: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, -2, 3.5, 0]) },
        f64: { dtype: 'F64', shape: [2], data: new Float64Array([0.1, -1e300]) },
        f16: { dtype: 'F16', shape: [3], data: new Float32Array([1, -0.5, 65504]) },
        bf16: { dtype: 'BF16', shape: [2], data: new Float32Array([3.140625, -2]) },
        i64: { dtype: 'I64', shape: [3], data: new BigInt64Array([-5n, 2n ** 40n, 7n]) },
        i32: { dtype: 'I32', shape: [2], data: new Int32Array([-7, 123456]) },
        u8: { dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) },
        bool: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
        empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
        scalar: { dtype: 'F32', shape: [], data: new Float32Array([42]) },
      },
      { format: 'pt', note: 'hello' },
    );
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const st = readSafetensors(file);
    expect(st.metadata).toEqual({ format: 'pt', note: 'hello' });
    const f = (name: string) => Array.from(toFloat32(st.get(name)));
    expect(f('f32')).toEqual([1, -2, 3.5, 0]);
    expect(st.get('f32').shape).toEqual([2, 2]);
    expect(f('f64')).toEqual([Math.fround(0.1), -Infinity]);
    expect(f('f16')).toEqual([1, -0.5, 65504]);
    expect(f('bf16')).toEqual([3.140625, -2]);
    expect(f('i64')).toEqual([-5, 2 ** 40, 7]);
    expect(f('i32')).toEqual([-7, 123456]);
    expect(f('u8')).toEqual([0, 255]);
    expect(f('bool')).toEqual([1, 0, 1]);
    expect(f('empty')).toEqual([]);
    expect(readTensor32(st, 'scalar')).toEqual({ data: new Float32Array([42]), shape: [] });
    const header = readSafetensorsHeader(file);
    expect(header.entries.map((e) => e.name).sort()).toEqual([...st.tensors.keys()].sort());
    expect(header.dataStart + header.dataBytes).toBe(readFileSync(file).length);
  });

  it('rejects data that does not match the dtype or shape', () => {
    expect(errorOf(() => encodeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).code).toBe('SAFETENSORS_WRITE');
    expect(errorOf(() => encodeSafetensors({ x: { dtype: 'I32', shape: [2], data: new Float32Array(2) } })).message).toMatch(/Float32Array cannot be written as I32/);
  });

  it('reports an unwritable destination', () => {
    expect(errorOf(() => writeSafetensors(join(dir, 'no', 'such', 'x.safetensors'), {})).code).toBe('FILE_NOT_WRITABLE');
  });
});

describe('safetensors reader', () => {
  it('gives zero-copy views for aligned F32 and copies misaligned data', () => {
    const buf = encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([5, 6]) } });
    const st = parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
    const view = toFloat32(st.get('w'));
    if ((buf.byteOffset + 8) % 4 === 0) expect(view.buffer).toBe(buf.buffer);

    // A header of odd length (not padded) puts F32 data at a misaligned offset.
    const odd = rawFile('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} ', Buffer.from(new Float32Array([5, 6]).buffer), false);
    const copy = new Uint8Array(odd.length);
    copy.set(odd);
    const st2 = parseSafetensors(copy, 'odd.safetensors');
    expect(st2.dataStart % 4).not.toBe(0);
    const v2 = toFloat32(st2.get('w'));
    expect(Array.from(v2)).toEqual([5, 6]);
    expect(v2.buffer).not.toBe(copy.buffer);
  });

  it('names the missing tensor and lists what exists', () => {
    const st = parseSafetensors(encodeSafetensors({ a: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } }), 'm.safetensors');
    const err = errorOf(() => st.get('b'));
    expect(err.code).toBe('TENSOR_MISSING');
    expect(err.message).toMatch(/m\.safetensors: has no tensor "b" \(it has: a\)/);
  });

  const good = () => rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'U8', shape: [2], data_offsets: [8, 10] } }, new Uint8Array(10));
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['a file under 8 bytes', () => new Uint8Array(5), /is 5 bytes long/],
    ['a header length beyond the file', () => { const b = good(); b.writeBigUInt64LE(10_000n, 0); return b; }, /header length 10000 bytes extends beyond the end of the file/],
    ['a huge header length', () => { const b = good(); b.writeBigUInt64LE(2n ** 62n, 0); return b; }, /over the 100000000-byte limit/],
    ['invalid JSON', () => rawFile('{"a": ', new Uint8Array(0)), /not valid JSON/],
    ['a JSON array', () => rawFile('[1,2]', new Uint8Array(0)), /is an array, not an object/],
    ['invalid UTF-8', () => rawFile(Buffer.from([0x7b, 0xff, 0x7d]), new Uint8Array(0)), /not valid UTF-8/],
    ['an unknown dtype', () => rawFile({ a: { dtype: 'F12', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /unknown dtype "F12"/],
    ['a shape/byte mismatch', () => rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes but data_offsets \[0, 8\] hold 8/],
    ['a negative dimension', () => rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, new Uint8Array(0)), /shape \[-1\]/],
    ['a gap between tensors', () => rawFile({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [4, 6] } }, new Uint8Array(6)), /starts at 4 but the previous tensor ends at 2/],
    ['overlapping tensors', () => rawFile({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [2], data_offsets: [2, 4] } }, new Uint8Array(4)), /overlap/],
    ['offsets outside the data area', () => rawFile({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(2)), /truncated: its tensors need 4 data bytes but only 2 follow the header \(2 bytes missing\)/],
    ['trailing bytes', () => rawFile({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(5)), /has 3 bytes after the last tensor/],
    ['a non-string metadata value', () => rawFile({ __metadata__: { a: 1 } }, new Uint8Array(0)), /__metadata__\.a is 1/],
    ['a tensor entry that is not an object', () => rawFile({ a: 3 }, new Uint8Array(0)), /tensor "a" is 3/],
    ['end before begin', () => rawFile({ a: { dtype: 'U8', shape: [0], data_offsets: [2, 1] } }, new Uint8Array(2)), /end before they begin/],
  ];
  for (const [what, make, message] of cases) {
    it(`rejects ${what}`, () => {
      const err = errorOf(() => parseSafetensors(make(), 'bad.safetensors'));
      expect(err.code).toBe('SAFETENSORS_INVALID');
      expect(err.message).toMatch(/^bad\.safetensors: /);
      expect(err.message).toMatch(message);
      expect(err.hint).toBeTruthy();
    });
  }

  it('says by how much a truncated file on disk is short, from the header alone', () => {
    const buf = encodeSafetensors({ w: { dtype: 'F32', shape: [100], data: new Float32Array(100) } });
    const file = join(dir, 'cut.safetensors');
    writeFileSync(file, buf.subarray(0, buf.length - 40));
    expect(errorOf(() => readSafetensorsHeader(file)).message).toMatch(/truncated.*\(40 bytes missing\)/);
    expect(errorOf(() => readSafetensors(file)).message).toMatch(/40 bytes missing/);
  });

  it('reads tensors lazily from disk for files over the whole-file limit', () => {
    const file = join(dir, 'lazy.safetensors');
    const a = new Float32Array([1, 2, 3]);
    writeSafetensors(file, { a: { dtype: 'F32', shape: [3], data: a }, h: { dtype: 'F16', shape: [2], data: new Float32Array([0.5, -4]) } });
    const st = readSafetensors(file, { wholeFileLimit: 0 });
    expect(Array.from(toFloat32(st.get('a')))).toEqual([1, 2, 3]);
    expect(Array.from(toFloat32(st.get('h')))).toEqual([0.5, -4]);
    expect(st.get('a').bytes().byteOffset).toBe(0);
    // Read whole, every tensor is a view on one buffer; read lazily, each has its own.
    const whole = readSafetensors(file);
    expect(whole.get('a').bytes().buffer).toBe(whole.get('h').bytes().buffer);
    expect(st.get('a').bytes().buffer).not.toBe(st.get('h').bytes().buffer);
  });

  it('reports a missing file', () => {
    expect(errorOf(() => readSafetensorsHeader(join(dir, 'nope.safetensors'))).code).toBe('FILE_NOT_READABLE');
  });
});
