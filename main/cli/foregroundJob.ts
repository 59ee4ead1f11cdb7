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
import { checkJobTarget } from './clusterTarget';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** `target`: a cluster profile (--on); the job runs there and is followed from here. */
export async function runJobInForeground(ctx: CliContext, kind: string, params: unknown, onUpdate: (job: JobView) => void, target: string | null = null): Promise<JobView> {
  if (target) checkJobTarget(ctx.home, target, kind);
  return homeLockOwner(ctx.home) === null ? runInOwnCore(ctx, kind, params, onUpdate, target) : runThroughOpenApp(ctx, kind, params, onUpdate, target);
}

async function runInOwnCore(ctx: CliContext, kind: string, params: unknown, onUpdate: (job: JobView) => void, target: string | null): Promise<JobView> {
  const core = createCore({ home: ctx.home, frontDoor: 'cli' });
  try {
    const added = await core.call('jobs.add', { kind, params, ...(target ? { target } : {}) });
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

async function runThroughOpenApp(ctx: CliContext, kind: string, params: unknown, onUpdate: (job: JobView) => void, target: string | null): Promise<JobView> {
  prepareHome(ctx.home);
  const db = openDatabase(ctx.home);
  try {
    const k = jobKinds.find(kind);
    const parsed = k.params.parse(params);
    const store = new JobStore(db, (name) => jobKinds.isPausable(name));
    const job = store.insert({ kind, title: k.title(parsed, { home: ctx.home }), params: parsed, priority: 0, resource: typeof k.resource === 'function' ? k.resource(parsed) : k.resource, target });
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

/** What the progress line says of a job on a cluster: Slurm's state, why it waits or where it runs, then the job's own progress. */
export function remoteProgressText(j: JobView): string {
  const r = j.remote;
  const where = !r ? `submitting to ${j.target}` : `Slurm ${r.slurmJobId ?? '?'} ${r.slurmState ?? 'SUBMITTED'}${r.reason && r.slurmState === 'PENDING' ? ` (${r.reason})` : ''}${r.node && r.slurmState === 'RUNNING' ? ` on ${r.node}` : ''}`;
  return j.progressMessage ? `${where} · ${j.progressMessage}` : where;
}

/**
 * Run a job kind on a cluster (--on) and follow it to the end with the progress bar; a job that
 * did not complete is its error. The caller prints the same result a local run prints, plus
 * "slurm_job_id".
 */
export async function followOnCluster(ctx: CliContext, kind: string, params: unknown, target: string): Promise<{ job: JobView; slurmJobId: string | null }> {
  const bar = progressPrinter(ctx);
  const job = await runJobInForeground(ctx, kind, params, (j) => {
    if (j.state === 'running' || j.state === 'pausing') bar.update(j.progress, remoteProgressText(j));
  }, target);
  bar.done();
  if (job.state !== 'completed') {
    if (job.error) throw new WorkbenchError(job.error.code, job.error.message, job.error.hint);
    throw new WorkbenchError('JOB_STOPPED', `Job ${job.id} on cluster "${target}" was ${job.state}.`, 'Its checkpoint is kept on the cluster: retry or resume it in the Queue (sae-workbench jobs list).');
  }
  return { job, slurmJobId: job.remote?.slurmJobId ?? null };
}
