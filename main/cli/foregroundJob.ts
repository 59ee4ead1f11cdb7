/**
 * Running a queued job kind from the terminal and following it to the end: in a core of the
 * CLI's own when no app is open on this data directory, else through the open app's queue (the
 * shared database), so a job never runs twice. Ctrl-C cancels it (pausable kinds keep their
 * checkpoint: Retry in the Queue continues them).
 */
import type { JobView } from '../../preload/api';
import { createCore } from '../api/core';
import { openDatabase } from '../db/connection';
import { WorkbenchError } from '../errors';
import { prepareHome } from '../home';
import { jobKinds } from '../jobKinds';
import { JobStore } from '../jobs/store';
import { homeLockOwner } from '../lock';
import type { CliContext } from './command';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export async function runJobInForeground(ctx: CliContext, kind: string, params: unknown, onUpdate: (job: JobView) => void): Promise<JobView> {
  return homeLockOwner(ctx.home) === null ? runInOwnCore(ctx, kind, params, onUpdate) : runThroughOpenApp(ctx, kind, params, onUpdate);
}

async function runInOwnCore(ctx: CliContext, kind: string, params: unknown, onUpdate: (job: JobView) => void): Promise<JobView> {
  const core = createCore({ home: ctx.home, frontDoor: 'cli' });
  try {
    const added = await core.call('jobs.add', { kind, params });
    if (!added.ok) throw new WorkbenchError(added.error.code, added.error.message, added.error.hint);
    const job = added.result as JobView;
    const onSigint = () => void core.call('jobs.cancel', { id: job.id });
    process.once('SIGINT', onSigint);
    try {
      return await new Promise<JobView>((resolve) => {
        core.subscribe((event, payload) => {
          const j = payload as JobView;
          if (event !== 'job.updated' || j.id !== job.id) return;
          onUpdate(j);
          if (TERMINAL.has(j.state)) resolve(j);
        });
      }).then(async (j) => {
        // Events carry summaries (large params and results cut); the caller reads the whole result.
        const full = await core.call('jobs.get', { id: j.id });
        return full.ok ? (full.result as JobView) : j;
      });
    } finally {
      process.off('SIGINT', onSigint);
    }
  } finally {
    await core.close();
  }
}

async function runThroughOpenApp(ctx: CliContext, kind: string, params: unknown, onUpdate: (job: JobView) => void): Promise<JobView> {
  prepareHome(ctx.home);
  const db = openDatabase(ctx.home);
  try {
    const k = jobKinds.find(kind);
    const parsed = k.params.parse(params);
    const store = new JobStore(db, (name) => jobKinds.isPausable(name));
    const job = store.insert({ kind, title: k.title(parsed, { home: ctx.home }), params: parsed, priority: 0, resource: typeof k.resource === 'function' ? k.resource(parsed) : k.resource });
    ctx.stderr(`The app is running on ${ctx.home}: queued job ${job.id} there; following it.`);
    for (;;) {
      const j = store.view(job.id)!;
      onUpdate(j);
      if (TERMINAL.has(j.state)) return store.get(job.id)!;
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    db.close();
  }
}

/** A terminal progress line, redrawn in place on a TTY and printed every few seconds otherwise. */
export function progressPrinter(ctx: CliContext): { update(fraction: number | null, text: string): void; done(): void } {
  const tty = Boolean(process.stderr.isTTY);
  let drawn = false;
  let lastPrint = 0;
  return {
    update(fraction, text) {
      const width = 24;
      const bar = fraction === null ? '' : `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${(fraction * 100).toFixed(0).padStart(3)}%  `;
      const line = `${bar}${text}`;
      if (tty) {
        const cols = process.stderr.columns || 100;
        process.stderr.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
        drawn = true;
      } else if (Date.now() - lastPrint > 5000) {
        lastPrint = Date.now();
        ctx.stderr(line);
      }
    },
    done() {
      if (drawn) process.stderr.write('\n');
    },
  };
}
