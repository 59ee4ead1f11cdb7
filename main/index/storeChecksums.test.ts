import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { blockCrc, decodeBlock, encodeBlock, type BlockRow } from './sparseBlocks';
import { crcOfValues } from './storeChecksums';

describe('store checksums', () => {
  it('a block where no latent fired reads back intact (SQLite hands back zero-length BLOBs without memory, which zlib checksummed as 0)', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE blocks (document INTEGER, start INTEGER, counts BLOB, features BLOB, vals BLOB, crc INTEGER)');
    // A continuation window's one token, left uncounted: one position, nothing fired.
    const block = { document: 2, start: 108, counts: new Uint16Array([0]), features: new Uint16Array(64).subarray(0, 0), values: new Float32Array(64).subarray(0, 0) };
    const e = encodeBlock(block);
    db.prepare('INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)').run(2, 108, e.counts, e.features, e.values, blockCrc(2, 108, e));
    const row = db.prepare('SELECT * FROM blocks').get() as BlockRow;
    expect(row.features.byteLength).toBe(0);
    const read = decodeBlock(row, 256, true);
    expect([...read.counts]).toEqual([0]);
    expect(read.values.length).toBe(0);
    db.close();
  });

  it('an empty value still counts: it is tagged with its type and length', () => {
    expect(crcOfValues([Buffer.alloc(0)])).not.toBe(crcOfValues([]));
    expect(crcOfValues([Buffer.alloc(0), Buffer.from([1])])).not.toBe(crcOfValues([Buffer.from([1]), Buffer.alloc(0)]));
  });
});
