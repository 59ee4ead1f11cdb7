import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { WorkbenchError } from '../errors';
import { migrations as allMigrations, type Migration } from './migrations';
import { appDatabaseFix, CheckedStore, checkSqlitePaths, describeSqliteError, nativeBindingOption, openSqliteFile, quickCheckOnce } from './sqliteFile';

export type Db = Database.Database;

export function databasePath(home: string): string {
  return path.join(home, 'workbench.sqlite');
}

export { nativeBindingOption };

/**
 * Open the app database (WAL, so worker processes can write while the core reads) and bring its
 * schema up to date. A damaged, emptied, special or locked file becomes a WorkbenchError that
 * says what to do.
 */
export function openDatabase(home: string, options: { migrate?: boolean; migrations?: Migration[]; busyTimeoutMs?: number } = {}): Db {
  const file = databasePath(home);
  const target = { role: 'app', file } as const;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const existed = checkSqlitePaths(file);
  let db: Db;
  try {
    db = openSqliteFile(target, { timeoutMs: busyTimeoutMs });
  } catch (err) {
    throw describeOpenError(file, err);
  }
  try {
    // Read the schema before anything writes: a corrupt file fails here, and an emptied one is
    // seen for what it is before the WAL switch or the migrations write a fresh header into it.
    const hasSchema = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'schema_migrations'").get() as { n: number };
    if (existed && hasSchema.n === 0) refuseEmptiedDatabase(home, file);
    // The core and the CLI (the openers that migrate) check the pages once: damage is found at start.
    if (existed && options.migrate !== false) quickCheckOnce(new CheckedStore(target, db));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  } catch (err) {
    closeQuietly(db);
    throw describeOpenError(file, err);
  }
  if (options.migrate !== false) {
    try {
      migrate(db, options.migrations ?? allMigrations);
    } catch (err) {
      closeQuietly(db);
      throw describeOpenError(file, err);
    }
  }
  return db;
}

function closeQuietly(db: Db): void {
  try {
    db.close();
  } catch {
    // already closed
  }
}

/**
 * An app database with no tables in a home that holds indexes or job runs was emptied (truncated
 * by a crash, a full disk or a sync tool): starting on it would silently forget all of them.
 */
function refuseEmptiedDatabase(home: string, file: string): void {
  const found = dataOnDisk(home);
  if (found.indexes + found.runs === 0) return;
  const what = [found.indexes ? `${found.indexes} feature index file(s)` : '', found.runs ? `${found.runs} job run folder(s)` : ''].filter(Boolean).join(' and ');
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch {
    // described without its size
  }
  throw new WorkbenchError(
    'DB_CORRUPT',
    `The database ${file} is empty (${size} bytes, no tables) although the data directory holds ${what}: it was emptied (a crash, a full disk or a sync tool), and starting on it would list none of them.`,
    appDatabaseFix(file),
  );
}

/** Index files and job run folders in a home: what an app database that lost its tables would forget. */
export function dataOnDisk(home: string): { indexes: number; runs: number } {
  const count = (dir: string, keep: (name: string) => boolean) => {
    try {
      return fs.readdirSync(dir).filter(keep).length;
    } catch {
      return 0;
    }
  };
  return { indexes: count(path.join(home, 'index'), (n) => n.endsWith('.sqlite')), runs: count(path.join(home, 'runs'), () => true) };
}

function describeOpenError(file: string, err: unknown): WorkbenchError {
  if (err instanceof WorkbenchError) return err;
  const known = describeSqliteError({ role: 'app', file }, err);
  if (known) return known;
  const message = (err as Error).message ?? String(err);
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
