/**
 * THE way the app opens a SQLite file: the app database, feature indexes, token stores and the
 * home lock. SQLite opens the path itself, so the check cannot ride on our own descriptor as the
 * loaders' does (formats/openedFile.ts): the path and the files SQLite opens beside it (-wal,
 * -shm, -journal) are stat()ed first, which never blocks, and anything but a regular file is
 * refused with the loaders' NOT_A_FILE. Opening a FIFO would wait for a writer forever, inside
 * open(), on the core's event loop.
 *
 * Failures of SQLite itself are mapped here too, once: corruption of a named file (INDEX_CORRUPT
 * for indexes and token stores, DB_CORRUPT for the app database) with the fix, a full disk as
 * DISK_FULL. Anything else is left as it is (a bug is a bug).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { WorkbenchError } from '../errors';
import { notAFile } from '../formats/openedFile';

/** What a SQLite file is to the app: decides the error code and the fix a message offers. */
export interface SqliteTarget {
  role: 'app' | 'index' | 'corpus' | 'lock';
  file: string;
  /** The index id, for an index (its fix names it). */
  id?: string;
}

/**
 * Electron loads a better-sqlite3 build for its own ABI (see scripts/start.mjs); plain Node uses
 * the one npm built. Both live side by side so neither front door breaks the other.
 */
export function nativeBindingOption(): { nativeBinding?: string } {
  const electronBuild = process.env.SAE_WORKBENCH_SQLITE_BINDING;
  return process.versions.electron && electronBuild ? { nativeBinding: electronBuild } : {};
}

/** The files SQLite opens next to a database: each must be a regular file too when it exists. */
const COMPANIONS = ['', '-wal', '-shm', '-journal'];

/**
 * Throws NOT_A_FILE unless `file` and its companions are regular files (or links to them) or
 * absent; throws INDEX_NOT_FOUND-like errors are the caller's: returns whether `file` exists.
 */
export function checkSqlitePaths(file: string): boolean {
  let exists = false;
  for (const suffix of COMPANIONS) {
    let st: fs.Stats;
    try {
      st = fs.statSync(file + suffix);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      // ELOOP (a link loop), EACCES: SQLite could not open it either; say which path.
      throw new WorkbenchError('FILE_NOT_READABLE', `Cannot open ${file + suffix}: ${(err as Error).message}`, 'Check that the file exists and is readable.', { cause: err });
    }
    if (!st.isFile()) throw notAFile(file + suffix, st);
    if (suffix === '') exists = true;
  }
  return exists;
}

export interface OpenSqliteOptions {
  readonly?: boolean;
  /** Refuse a missing file (readers) instead of creating it. */
  mustExist?: boolean;
  /** How long a statement waits for another connection's lock. */
  timeoutMs?: number;
}

/** Open a SQLite file after checking that it (and its companions) are regular files. */
export function openSqliteFile(target: SqliteTarget, options: OpenSqliteOptions = {}): Database.Database {
  const exists = checkSqlitePaths(target.file);
  if (!exists && options.mustExist) throw missingError(target);
  try {
    return new Database(target.file, { readonly: options.readonly ?? false, fileMustExist: options.mustExist ?? false, timeout: options.timeoutMs ?? 5000, ...nativeBindingOption() });
  } catch (err) {
    throw describeSqliteError(target, err) ?? err;
  }
}

function missingError(target: SqliteTarget): WorkbenchError {
  if (target.role === 'corpus') return new WorkbenchError('CORPUS_MISSING', `The token store ${target.file} of this index is missing.`, "Rebuild the index: its documents' tokens were removed.");
  if (target.role === 'index') return new WorkbenchError('INDEX_NOT_FOUND', `The index file ${target.file} does not exist.`, 'It may have been removed; rebuild the index.');
  return new WorkbenchError('FILE_NOT_FOUND', `${target.file} does not exist.`);
}

/**
 * A SQLite file whose contents are not what was written: thrown by our own checks of what a
 * store returns (checksums, lengths that must agree), mapped with the file's name like SQLite's
 * own SQLITE_CORRUPT.
 */
export class StoreDamage extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreDamage';
  }
}

/** SQLite's answers that mean the file's bytes are not a sound database (or cannot be read back). */
export function isDamageError(err: unknown): boolean {
  if (err instanceof StoreDamage) return true;
  const code = String((err as { code?: unknown })?.code ?? '');
  const message = err instanceof Error ? err.message : '';
  if (/^SQLITE_(CORRUPT|NOTADB|IOERR|FORMAT|MISMATCH|TOOBIG)/.test(code)) return true;
  // A damaged schema page makes our own tables and columns vanish.
  return code.startsWith('SQLITE_') && /malformed|not a database|unsupported file format|no such (table|column)/i.test(message);
}

function fixFor(target: SqliteTarget): string {
  switch (target.role) {
    case 'index':
      return `Remove the index and build it again: \`sae-workbench index remove ${target.id ?? path.basename(target.file, '.sqlite')}\` (or Remove on the Features page), then build it anew from the same model, SAE and dataset.`;
    case 'corpus':
      return 'Remove the indexes built on this dataset with this tokenizer (see `sae-workbench index list`) and build them again: the token store is written anew with them.';
    case 'app':
      return appDatabaseFix(target.file);
    case 'lock':
      return `Quit SAE Workbench and delete ${target.file}; it holds no data and is created again at start.`;
  }
}

/** What to do about a damaged or emptied app database: the data in the home's folders is found again. */
export function appDatabaseFix(file: string): string {
  return `Quit SAE Workbench, move ${path.basename(file)} aside (keep it for recovery) and start again: a new database is created, the feature indexes in ${path.join(path.dirname(file), 'index')} are registered again from their files (\`sae-workbench index recover\` does it without starting the app) and the HF cache is rescanned; queue history and added Library folders are not recovered.`;
}

function describeTarget(target: SqliteTarget): string {
  switch (target.role) {
    case 'index':
      return `The feature index ${target.id ? `${target.id} (${target.file})` : target.file}`;
    case 'corpus':
      return `The token store ${target.file} (the documents' tokens shared by the indexes built on one dataset and tokenizer)`;
    case 'app':
      return `The database ${target.file}`;
    case 'lock':
      return `The lock file ${target.file}`;
  }
}

/** A damaged file as the error the user sees: which file, what SQLite (or a check) found, the fix. */
export function damageError(target: SqliteTarget, err: unknown): WorkbenchError {
  const detail = err instanceof Error ? err.message : String(err);
  const code = target.role === 'app' ? 'DB_CORRUPT' : target.role === 'lock' ? 'HOME_LOCK_FAILED' : 'INDEX_CORRUPT';
  return new WorkbenchError(code, `${describeTarget(target)} is damaged (${detail}).`, fixFor(target), { cause: err });
}

/**
 * The WorkbenchError for a SQLite failure on `target`, or null when it is not one this layer
 * knows (the caller rethrows the original: a bug stays a bug).
 */
export function describeSqliteError(target: SqliteTarget, err: unknown): WorkbenchError | null {
  if (err instanceof WorkbenchError) return err;
  if (isDamageError(err)) return damageError(target, err);
  const code = String((err as { code?: unknown })?.code ?? '');
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new WorkbenchError('DISK_FULL', `The disk is full: ${target.file} cannot be written (${message}).`, 'Free some space (old runs/ or unused HF cache entries) and retry; finished results were kept.', { cause: err });
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new WorkbenchError(
      'DB_LOCKED',
      `${describeTarget(target)} is locked by another process.`,
      'Another SAE Workbench may be running with the same data directory: close it, or start this one with --home DIR.',
      { cause: err },
    );
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'EACCES') {
    return new WorkbenchError(
      target.role === 'app' ? 'DB_UNWRITABLE' : 'FILE_NOT_READABLE',
      `${describeTarget(target)} cannot be opened${target.role === 'app' ? ' for writing' : ''} (${message}).`,
      'Fix the permissions of the data directory or choose another one with --home DIR / WORKBENCH_HOME.',
      { cause: err },
    );
  }
  return null;
}

/**
 * A SQLite store read by the app (an index, a token store) that remembers a failed read: once
 * a read found the file damaged, every later read of this store, and of the same unchanged file
 * opened again in this process, gets the same error. A page is never served from a store that
 * has shown damage, even where the rest of it still reads.
 */
export class CheckedStore {
  private failure: WorkbenchError | null;

  constructor(
    readonly target: SqliteTarget,
    readonly db: Database.Database,
  ) {
    this.failure = knownDamage(target.file);
  }

  get failed(): WorkbenchError | null {
    return this.failure;
  }

  /** Run reads (statements, and the checks of what they return); damage becomes this store's error. */
  read<T>(what: () => T): T {
    if (this.failure) throw this.failure;
    try {
      return what();
    } catch (err) {
      throw this.fail(err);
    }
  }

  /**
   * Rows of a statement, each turned into a value by `decode` inside the guard; the statement is
   * reset when the caller stops early or throws (else the connection stays "busy" for good).
   */
  *rows<R, T>(iterate: () => IterableIterator<unknown>, decode: (row: R) => T): Generator<T> {
    if (this.failure) throw this.failure;
    let it: IterableIterator<unknown> | null = null;
    try {
      it = this.read(iterate);
      for (;;) {
        const value = this.read(() => {
          const next = it!.next();
          return next.done ? { done: true as const } : { done: false as const, value: decode(next.value as R) };
        });
        if (value.done) return;
        yield value.value;
      }
    } finally {
      it?.return?.();
    }
  }

  /** Map `err`; damage is remembered for this store and for the file. */
  fail(err: unknown): unknown {
    const mapped = describeSqliteError(this.target, err);
    if (!mapped) return err;
    if (mapped.code === 'INDEX_CORRUPT' || mapped.code === 'DB_CORRUPT') {
      this.failure = mapped;
      rememberDamage(this.target.file, mapped);
    }
    return mapped;
  }

  close(): void {
    try {
      this.db.close();
    } catch {
      // A statement still iterating holds the connection; it goes with the process.
    }
  }
}

/** Files found damaged in this process, with the size and time they had then. */
const damaged = new Map<string, { size: number; mtimeMs: number; error: WorkbenchError }>();

function fileStamp(file: string): { size: number; mtimeMs: number } | null {
  try {
    const st = fs.statSync(file);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}

function rememberDamage(file: string, error: WorkbenchError): void {
  const stamp = fileStamp(file);
  if (stamp) damaged.set(path.resolve(file), { ...stamp, error });
}

/** The damage found earlier in this process, while the file is unchanged since. */
export function knownDamage(file: string): WorkbenchError | null {
  const hit = damaged.get(path.resolve(file));
  if (!hit) return null;
  const stamp = fileStamp(file);
  if (stamp && stamp.size === hit.size && stamp.mtimeMs === hit.mtimeMs) return hit.error;
  damaged.delete(path.resolve(file));
  return null;
}

/**
 * Files at most this large get SQLite's `PRAGMA quick_check` the first time this process opens
 * them. It reads every page: measured on 2 loaded cores, 3-7 ms for the demo's 1.5 MB index
 * (warm), 0.5-0.57 s for a 404 MB index when cached and 5.9 s from a cold page cache. It runs
 * where the index is opened (the core's event loop for the Features page), so bigger files
 * rely on the checks of each read instead (SQLite's own, the stores' checksums): 64 MB keeps
 * the first open under ~0.1 s warm, ~1 s cold.
 */
export const QUICK_CHECK_MAX_BYTES = 64 << 20;
const quickChecked = new Set<string>();

/** `PRAGMA quick_check` once per file (and size and time) per process, when the file is small enough. */
export function quickCheckOnce(store: CheckedStore): void {
  const stamp = fileStamp(store.target.file);
  if (!stamp || stamp.size > QUICK_CHECK_MAX_BYTES) return;
  const key = `${path.resolve(store.target.file)}|${stamp.size}|${stamp.mtimeMs}`;
  if (quickChecked.has(key)) return;
  const verdict = store.read(() => store.db.pragma('quick_check(1)', { simple: true }));
  if (verdict !== 'ok') throw store.fail(new StoreDamage(`SQLite's quick_check: ${String(verdict)}`));
  quickChecked.add(key);
}
