import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '../lock';

function holderOf(lockFile: string): number | null {
  try {
    const pid = Number(fs.readFileSync(lockFile, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Hold an exclusive lock on one blob while it is downloaded, so two download jobs (two worker
 * processes) never append to the same .incomplete file. The lock file holds the owner's pid; a
 * lock left by a dead process (a killed worker) is taken over.
 */
export async function withBlobLock<T>(lockFile: string, signal: AbortSignal, onWait: () => void, work: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  for (let waited = false; ; ) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = holderOf(lockFile);
    if (holder === null || !isProcessAlive(holder)) {
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (!waited) onWait();
    waited = true;
    signal.throwIfAborted();
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    return await work();
  } finally {
    if (holderOf(lockFile) === process.pid) fs.rmSync(lockFile, { force: true });
  }
}
