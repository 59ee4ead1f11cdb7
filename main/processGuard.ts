import fs from 'node:fs';
import { internalErrorFields } from './errors';
import { isProcessAlive } from './lock';
import { writeStderr, type Logger } from './log';
import { randomBytes } from 'node:crypto';

/** More unexpected errors than this within STORM_WINDOW_MS: something is badly wrong, stop cleanly. */
const STORM_LIMIT = 5;
const STORM_WINDOW_MS = 60_000;
const WATCH_INTERVAL_MS = 1000;

export interface ProcessGuardOptions {
  log: Logger;
  /**
   * Ask the front door to stop the way it stops on Ctrl+C (server closed, running jobs
   * checkpointed, lock released) and exit with `exitCode`.
   */
  stop(reason: string, exitCode: number): void;
  /** Processes whose end means this one should end too (the wrappers that started it). */
  watchPids?: number[];
}

/**
 * The core's last line of defence. An uncaught exception or unhandled rejection is logged with
 * its stack under an error id, reported on stderr, and the core keeps serving: every finished
 * result is already committed (SQLite transactions, write-then-rename), and the failure belonged
 * to one request, socket or event. A storm of them (more than STORM_LIMIT a minute) stops the
 * process cleanly instead. Never a silent exit. When the wrapper that started the core (npm, the
 * bin script) is gone, the core stops too rather than hold the port and the home lock as an orphan.
 * Returns a function that removes the guard.
 */
export function guardProcess(options: ProcessGuardOptions): () => void {
  const recent: number[] = [];
  let stopping = false;
  const stopOnce = (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    options.stop(reason, exitCode);
  };
  const onUnexpected = (err: unknown, origin: string) => {
    const errorId = randomBytes(6).toString('hex');
    options.log.log('error', 'process', `${origin}: the core caught an unexpected error`, internalErrorFields(errorId, err));
    const now = Date.now();
    recent.push(now);
    while (recent.length > 0 && now - recent[0] > STORM_WINDOW_MS) recent.shift();
    const storm = recent.length > STORM_LIMIT;
    writeStderr(
      `SAE Workbench: unexpected error (error id ${errorId}): ${err instanceof Error ? err.message : String(err)}\n` +
        (storm ? `${recent.length} unexpected errors within a minute: stopping cleanly (jobs checkpoint, the lock is released).\n` : 'The core keeps running; logs/core.log has the stack.\n'),
    );
    if (storm) stopOnce('repeated unexpected errors', 70);
  };
  const onException = (err: Error) => onUnexpected(err, 'uncaughtException');
  const onRejection = (reason: unknown) => onUnexpected(reason, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);

  const watched = (options.watchPids ?? []).filter((p) => p > 1);
  const watcher =
    watched.length > 0
      ? setInterval(() => {
          const gone = watched.find((p) => !isProcessAlive(p));
          if (gone === undefined) return;
          options.log.log('warn', 'process', `the process that started this core (pid ${gone}) is gone; stopping`, { watched });
          writeStderr(`SAE Workbench: the process that started it (pid ${gone}) is gone; stopping cleanly.\n`);
          stopOnce('the starting process is gone', 0);
        }, WATCH_INTERVAL_MS)
      : null;
  watcher?.unref();

  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    if (watcher) clearInterval(watcher);
  };
}

/** Linux: the parent of `pid` from /proc; null where that is not available. */
function parentOf(pid: number): number | null {
  try {
    // Field 4 of /proc/<pid>/stat, after the parenthesised command name (which may hold spaces).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : null;
  } catch {
    return null;
  }
}

/**
 * The wrapper processes a long-running front door should not outlive. Under `npm run` the chain
 * is npm -> sh -> node: npm forwards SIGTERM to sh only, and a SIGKILLed npm forwards nothing, so
 * both the parent and (where /proc tells it) the grandparent are watched. A process started with
 * SAE_WORKBENCH_EXIT_WITH_PARENT=1 watches its parent. Started from a plain shell (nohup, a
 * service manager), nothing is watched: outliving the shell is then what the user asked for.
 */
export function wrapperPids(env: NodeJS.ProcessEnv = process.env, ppid = process.ppid): number[] {
  if (env.npm_lifecycle_event) {
    const grandparent = parentOf(ppid);
    return grandparent && grandparent > 1 ? [ppid, grandparent] : [ppid];
  }
  return env.SAE_WORKBENCH_EXIT_WITH_PARENT === '1' ? [ppid] : [];
}
