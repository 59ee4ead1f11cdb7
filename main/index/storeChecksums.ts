/**
 * Checksums of what index and token-store files return. SQLite checks its own page structure,
 * not the bytes of the values in them: a damaged blob or REAL reads back as other numbers
 * without an error. Each unit the app serves (a sparse block, a token document, a feature's
 * page rows, a token's search rows, the stats table, the meta table, the vocabulary) carries a
 * CRC-32 of its values as read back, written when the file is finished and compared at every
 * read; a mismatch is StoreDamage, which the store reports as a damaged file.
 */
import { crc32 } from 'node:zlib';
import { StoreDamage } from '../db/sqliteFile';

type Value = number | string | Buffer | Uint8Array | bigint | null | undefined;

const scratch = Buffer.alloc(9);

/**
 * zlib's crc32 of bytes, continuing from `c`. Nothing leaves `c` as it is: node:zlib returns 0 for
 * an empty Buffer without backing memory (as better-sqlite3 returns a zero-length BLOB), which
 * made every block with no latent fired read back as damaged.
 */
function crcOf(bytes: Uint8Array, c: number): number {
  return bytes.byteLength === 0 ? c : crc32(bytes, c);
}

/** CRC-32 of values in order, each tagged with its type (and length), so neither shifts into another. */
export function crcOfValues(values: readonly Value[], seed = 0): number {
  let c = seed;
  for (const v of values) {
    if (v === null || v === undefined) {
      scratch[0] = 0;
      c = crc32(scratch.subarray(0, 1), c);
    } else if (typeof v === 'number') {
      scratch[0] = 1;
      scratch.writeDoubleLE(v, 1);
      c = crc32(scratch, c);
    } else if (typeof v === 'bigint') {
      scratch[0] = 2;
      scratch.writeBigInt64LE(v, 1);
      c = crc32(scratch, c);
    } else if (typeof v === 'string') {
      const bytes = Buffer.from(v, 'utf8');
      scratch[0] = 3;
      scratch.writeDoubleLE(bytes.length, 1);
      c = crcOf(bytes, crc32(scratch, c));
    } else {
      scratch[0] = 4;
      scratch.writeDoubleLE(v.byteLength, 1);
      c = crcOf(v, crc32(scratch, c));
    }
  }
  return c >>> 0;
}

/** CRC-32 of rows (objects) in order, over the listed columns. */
export function crcOfRows(rows: readonly Record<string, unknown>[], columns: readonly string[], seed = 0): number {
  let c = crcOfValues([rows.length], seed);
  for (const r of rows) c = crcOfValues(columns.map((k) => r[k] as Value), c);
  return c;
}

/** Throws StoreDamage unless `stored` is the CRC computed over what was read. */
export function requireCrc(stored: unknown, computed: number, what: string): void {
  if (typeof stored !== 'number' || !Number.isInteger(stored)) throw new StoreDamage(`${what} has no valid checksum`);
  if (stored >>> 0 !== computed) throw new StoreDamage(`${what} does not match its checksum`);
}

/** A value that must be a blob (a damaged record can turn one into a number or text). */
export function requireBlob(value: unknown, what: string): Buffer {
  if (!Buffer.isBuffer(value)) throw new StoreDamage(`${what} is not a blob`);
  return value;
}
