import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../api/core';
import { toApiError } from '../errors';
import { makeTempDir } from '../testing/tempDirs';
import { migrate, openDatabase } from './connection';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function temp(): string {
  const t = makeTempDir('db');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('app database', () => {
  it('opens in WAL mode and applies migrations once', () => {
    const home = temp();
    const db = openDatabase(home);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const count = (db.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number }).n;
    migrate(db);
    expect((db.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(count);
    db.close();
  });

  it('names a corrupted database file and says how to recover', () => {
    const home = temp();
    fs.writeFileSync(path.join(home, 'workbench.sqlite'), Buffer.alloc(8192, 0x5a));
    expect(() => openDatabase(home)).toThrowError(expect.objectContaining({ code: 'DB_CORRUPT', message: expect.stringContaining('workbench.sqlite'), hint: expect.stringContaining('move') }));
  });

  it('a database locked by another process is reported as locked, with what to do', () => {
    const home = temp();
    openDatabase(home).close();
    const holder = new Database(path.join(home, 'workbench.sqlite'));
    holder.exec('BEGIN EXCLUSIVE');
    try {
      // In WAL mode opening succeeds; the first write is where the lock bites, and the API reports it.
      const db = openDatabase(home, { busyTimeoutMs: 100 });
      let caught: unknown;
      try {
        db.prepare("INSERT INTO settings (key, value) VALUES ('probe', '1')").run();
      } catch (err) {
        caught = err;
      }
      db.close();
      expect(toApiError(caught)).toMatchObject({ code: 'DB_LOCKED', hint: expect.stringContaining('close it') });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('refuses a database from a newer version instead of damaging it', () => {
    const home = temp();
    const db = openDatabase(home);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, ?, 0)').run('future');
    db.close();
    expect(() => openDatabase(home)).toThrowError(expect.objectContaining({ code: 'DB_TOO_NEW' }));
  });

  it('an unwritable data directory is reported before anything starts', () => {
    const file = path.join(temp(), 'a-file');
    fs.writeFileSync(file, '');
    expect(() => createCore({ home: path.join(file, 'home'), frontDoor: 'test' })).toThrowError(expect.objectContaining({ code: 'HOME_UNWRITABLE', hint: expect.stringContaining('--home') }));
  });

  it('a second core on the same data directory is refused (one queue, one scheduler)', async () => {
    const home = temp();
    const core = createCore({ home, frontDoor: 'test' });
    cleanups.push(() => core.close());
    expect(() => createCore({ home, frontDoor: 'test' })).toThrowError(expect.objectContaining({ code: 'HOME_IN_USE' }));
  });
});
