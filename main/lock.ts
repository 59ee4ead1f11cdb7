import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openSqliteFile } from './db/sqliteFile';
import { WorkbenchError } from './errors';

/** The file whose OS lock is the home lock (an empty SQLite database, never written). */
const LOCK_DB = 'core.lock.db';
/**
 * How long a start waits for the lock. Not zero: taking SQLite's exclusive lock passes through
 * SHARED and RESERVED, so with no wait, racers that each hold a step can all give up at once and
 * nobody wins (1 of 40 trials under load). With a short wait, losers back off and retry, one wins;
 * against a live owner this is only the delay before HOME_IN_USE.
 */
const LOCK_WAIT_MS = 250;
/** The owner's pid, for messages and for `homeLockOwner`; the OS lock, not this file, decides. */
const PID_FILE = 'core.lock';

/**
 * One core (scheduler) per data directory: two schedulers on one queue would run jobs twice.
 *
 * The lock is an exclusive lock the operating system holds on an open file descriptor (SQLite's
 * BEGIN EXCLUSIVE on core.lock.db: fcntl on POSIX, LockFileEx on Windows). Taking it is atomic,
 * so two processes racing for a home can never both win, and the OS drops it the moment its
 * owner dies (kill -9 included): a stale lock is taken over by simply acquiring it. The pid
 * beside it only names the owner in messages.
 */
export function acquireHomeLock(home: string): () => void {
  const lockFile = path.join(home, LOCK_DB);
  const pidFile = path.join(home, PID_FILE);
  let holder: Database.Database;
  try {
    holder = openSqliteFile({ role: 'lock', file: lockFile }, { timeoutMs: LOCK_WAIT_MS });
  } catch (err) {
    if (err instanceof WorkbenchError && err.code === 'NOT_A_FILE') throw err;
    throw new WorkbenchError('HOME_UNWRITABLE', `The lock file ${lockFile} cannot be opened: ${(err as Error).message}`, 'Fix the permissions of the data directory or choose another one with --home DIR.', { cause: err });
  }
  try {
    holder.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    holder.close();
    const owner = readOwner(pidFile);
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') {
      throw new WorkbenchError('HOME_LOCK_FAILED', `Could not take the lock ${lockFile}: ${(err as Error).message}`, 'Check the data directory (a network file system may not support locks), or choose another with --home DIR.', { cause: err });
    }
    throw new WorkbenchError(
      'HOME_IN_USE',
      `Another SAE Workbench${owner ? ` (pid ${owner})` : ''} is running with the data directory ${home}.`,
      'Use that window, stop it, or start this one with --home DIR.',
    );
  }
  writeOwner(pidFile);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      if (readOwner(pidFile) === process.pid) fs.rmSync(pidFile, { force: true });
    } catch {
      // already gone
    }
    try {
      holder.exec('ROLLBACK');
    } catch {
      // nothing to roll back
    }
    holder.close();
  };
}

function readOwner(pidFile: string): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Write-then-rename, so a reader never sees a half-written pid. */
function writeOwner(pidFile: string): void {
  const tmp = `${pidFile}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, String(process.pid));
    fs.renameSync(tmp, pidFile);
  } catch {
    // The pid is informational; the OS lock is held either way.
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * The pid of the core that owns this home, or null (for choosing between queueing and running a
 * core). The OS lock decides, not the pid file: after a crash or reboot the file may name a pid
 * that now belongs to another process. 0 when the lock is held but its owner has not yet written
 * its pid.
 */
export function homeLockOwner(home: string): number | null {
  const lockFile = path.join(home, LOCK_DB);
  if (!fs.existsSync(lockFile)) return null;
  let probe: Database.Database;
  try {
    probe = openSqliteFile({ role: 'lock', file: lockFile }, { timeoutMs: 0, mustExist: true });
  } catch {
    return null;
  }
  try {
    probe.exec('BEGIN EXCLUSIVE');
    probe.exec('ROLLBACK');
    return null;
  } catch {
    return readOwner(path.join(home, PID_FILE)) ?? 0;
  } finally {
    probe.close();
  }
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
