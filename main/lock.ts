import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from './errors';

/**
 * One core (scheduler) per data directory: two schedulers on one queue would run jobs twice.
 * The lock is a pid file; a stale one (its process is gone, e.g. after kill -9) is taken over.
 */
export function acquireHomeLock(home: string): () => void {
  const file = path.join(home, 'core.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.rmSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(file, 'utf8'));
      if (owner && isProcessAlive(owner)) {
        throw new WorkbenchError(
          'HOME_IN_USE',
          `Another SAE Workbench (pid ${owner}) is running with the data directory ${home}.`,
          'Use that window, stop it, or start this one with --home DIR.',
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new WorkbenchError('HOME_IN_USE', `Could not take the lock ${file}.`, 'Remove the file if no SAE Workbench is running.');
}

/** The pid of the core that owns this home, or null. */
export function homeLockOwner(home: string): number | null {
  try {
    const owner = Number(fs.readFileSync(path.join(home, 'core.lock'), 'utf8'));
    return owner && isProcessAlive(owner) ? owner : null;
  } catch {
    return null;
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
