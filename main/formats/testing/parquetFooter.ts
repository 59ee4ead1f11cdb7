/**
 * A minimal parquet file for tests: magic, footer FileMetaData in Thrift compact protocol
 * (version, a one-column schema, num_rows, no row groups), length, magic. Enough for readers that
 * take the row count from the footer; there is no column data to read.
 */
function varint(n: bigint, out: number[]): void {
  let v = n;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

function zigzag(n: bigint): bigint {
  return n >= 0n ? n << 1n : (-n << 1n) - 1n;
}

const I32 = 5;
const I64 = 6;
const BINARY = 8;
const LIST = 9;
const STRUCT = 12;

class CompactWriter {
  readonly bytes: number[] = [];
  private last: number[] = [0];

  field(id: number, type: number): this {
    const delta = id - this.last[this.last.length - 1];
    this.bytes.push((delta << 4) | type);
    this.last[this.last.length - 1] = id;
    return this;
  }
  i32(id: number, v: number): this {
    this.field(id, I32);
    varint(zigzag(BigInt(v)), this.bytes);
    return this;
  }
  i64(id: number, v: bigint): this {
    this.field(id, I64);
    varint(zigzag(v), this.bytes);
    return this;
  }
  binary(id: number, s: string): this {
    this.field(id, BINARY);
    const b = Buffer.from(s);
    varint(BigInt(b.length), this.bytes);
    this.bytes.push(...b);
    return this;
  }
  structList(id: number, items: ((w: CompactWriter) => void)[]): this {
    this.field(id, LIST);
    this.bytes.push((items.length << 4) | STRUCT);
    for (const item of items) {
      this.last.push(0);
      item(this);
      this.bytes.push(0);
      this.last.pop();
    }
    return this;
  }
}

export function parquetWithRowCount(rows: number): Buffer {
  const w = new CompactWriter();
  w.i32(1, 2)
    .structList(2, [(s) => s.binary(4, 'schema').i32(5, 1), (s) => s.i32(1, 1).i32(3, 0).binary(4, 'x')])
    .i64(3, BigInt(rows))
    .structList(4, []);
  w.bytes.push(0);
  const meta = Buffer.from(w.bytes);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(meta.length);
  return Buffer.concat([Buffer.from('PAR1'), meta, len, Buffer.from('PAR1')]);
}
