import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { WorkbenchError } from '../errors';
import { migrations as allMigrations, type Migration } from './migrations';

export type Db = Database.Database;

export function databasePath(home: string): string {
  return path.join(home, 'workbench.sqlite');
}

/**
 * Electron loads a better-sqlite3 build for its own ABI (see scripts/start.mjs); plain Node uses
 * the one npm built. Both live side by side so neither front door breaks the other.
 */
export function nativeBindingOption(): { nativeBinding?: string } {
  const electronBuild = process.env.SAE_WORKBENCH_SQLITE_BINDING;
  return process.versions.electron && electronBuild ? { nativeBinding: electronBuild } : {};
}

/**
 * Open the app database (WAL, so worker processes can write while the core reads) and bring its
 * schema up to date. A damaged or locked file becomes a WorkbenchError that says what to do.
 */
export function openDatabase(home: string, options: { migrate?: boolean; migrations?: Migration[]; busyTimeoutMs?: number } = {}): Db {
  const file = databasePath(home);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  let db: Db;
  try {
    db = new Database(file, { timeout: busyTimeoutMs, ...nativeBindingOption() });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // Touch the schema so a corrupt file fails here rather than at the first query.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    throw describeOpenError(file, err);
  }
  if (options.migrate !== false) {
    try {
      migrate(db, options.migrations ?? allMigrations);
    } catch (err) {
      db.close();
      throw describeOpenError(file, err);
    }
  }
  return db;
}

function describeOpenError(file: string, err: unknown): WorkbenchError {
  if (err instanceof WorkbenchError) return err;
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message ?? String(err);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || /not a database|malformed/i.test(message)) {
    return new WorkbenchError(
      'DB_CORRUPT',
      `The database ${file} is damaged (${message}).`,
      `Quit SAE Workbench, move ${path.basename(file)} aside (keep it for recovery), and start again: a new database is created and the HF cache is rescanned.`,
      { cause: err },
    );
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || /locked|busy/i.test(message)) {
    return new WorkbenchError(
      'DB_LOCKED',
      `The database ${file} is locked by another process.`,
      'Another SAE Workbench may be running with the same data directory: close it, or start this one with --home DIR.',
      { cause: err },
    );
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'EACCES') {
    return new WorkbenchError(
      'DB_UNWRITABLE',
      `The database ${file} cannot be opened for writing (${message}).`,
      'Fix the permissions of the data directory or choose another one with --home DIR / WORKBENCH_HOME.',
      { cause: err },
    );
  }
  return new WorkbenchError('DB_OPEN_FAILED', `The database ${file} could not be opened: ${message}`, undefined, { cause: err });
}

export function migrate(db: Db, list: Migration[] = allMigrations): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const known = new Set(list.map((m) => m.version));
  for (const v of applied) {
    if (!known.has(v)) {
      throw new WorkbenchError(
        'DB_TOO_NEW',
        `The database was written by a newer SAE Workbench (schema migration ${v} is unknown to this version).`,
        'Update SAE Workbench, or start this version with a different --home directory.',
      );
    }
  }
  const pending = [...list].sort((a, b) => a.version - b.version).filter((m) => !applied.has(m.version));
  for (const m of pending) {
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
  }
}

export function ensureDirFor(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
}
