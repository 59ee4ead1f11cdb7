/**
 * `sae-workbench jobs run <kind> --job-id ID --params-file F --report DIR [--resume]`: run one job
 * of the queue here, in the foreground, through the same scheduler and worker processes the app's
 * queue uses, in --home, and write what happens into DIR (main/cluster/jobFolder.ts) for whoever
 * follows it. A Slurm batch script runs this on the node. A signal (USR1 before the time limit,
 * TERM on requeue, preemption or scancel, INT) checkpoints the job and stops; `--resume`
 * continues it from that checkpoint.
 */
import fs from 'node:fs';
import os from 'node:os';
import { JOB_ID_PATTERN, type JobLogLine, type JobView } from '../../preload/api';
import { APP_VERSION } from '../appVersion';
import { createCore } from '../api/core';
import { appendLogLines, writeResult, writeStatus, type NodeStatus } from '../cluster/jobFolder';
import { openDatabase } from '../db/connection';
import { WorkbenchError } from '../errors';
import { prepareHome } from '../home';
import { jobKinds } from '../jobKinds';
import { JobStore } from '../jobs/store';
import type { CliContext } from './command';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const POLL_MS = 1000;
const STOP_SIGNALS = ['SIGUSR1', 'SIGTERM', 'SIGINT'] as const;

export interface JobsRunArgs {
  kind: string;
  jobId: string;
  paramsFile: string;
  reportDir: string;
  resume: boolean;
}

function readParams(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new WorkbenchError('BAD_ARGUMENT', `--params-file ${file} cannot be read as JSON (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, 'Give the job folder\'s params.json.');
  }
}

/**
 * Put the job into the home's queue (new, or back to queued to continue from its checkpoint);
 * `logSeq`: its log lines up to here were reported by an earlier run.
 */
function enqueue(args: JobsRunArgs, home: string): { job: JobView; logSeq: number } {
  prepareHome(home);
  const db = openDatabase(home);
  try {
    const store = new JobStore(db, (k) => jobKinds.isPausable(k));
    const existing = store.get(args.jobId);
    if (!existing) {
      const kind = jobKinds.find(args.kind);
      const params = jobKinds.parseParams(args.kind, readParams(args.paramsFile));
      const resource = typeof kind.resource === 'function' ? kind.resource(params) : kind.resource;
      return { job: store.insert({ id: args.jobId, kind: args.kind, title: kind.title(params, { home }), params, priority: 0, resource }), logSeq: 0 };
    }
    if (!args.resume) throw new WorkbenchError('JOB_EXISTS', `Job ${args.jobId} exists in ${home} already.`, 'Add --resume to continue it from its checkpoint.');
    if (existing.kind !== args.kind) throw new WorkbenchError('JOB_EXISTS', `Job ${args.jobId} in ${home} is a ${existing.kind} job, not ${args.kind}.`, 'Resume it with its own kind.');
    const earlier = store.logs(args.jobId, 0, 1_000_000);
    const logSeq = earlier.length ? earlier[earlier.length - 1].seq : 0;
    if (existing.state === 'completed') return { job: existing, logSeq };
    // Paused, stopped by a signal, failed, interrupted: queued again, it continues from its checkpoint.
    store.update(args.jobId, { state: 'queued', error: null, finishedAt: null });
    store.appendLog(args.jobId, 'info', `Resumed on ${os.hostname()}${process.env.SLURM_JOB_ID ? ` (Slurm job ${process.env.SLURM_JOB_ID})` : ''}.`);
    return { job: store.get(args.jobId)!, logSeq };
  } finally {
    db.close();
  }
}

export async function runJobHere(args: JobsRunArgs, ctx: CliContext): Promise<number> {
  if (!JOB_ID_PATTERN.test(args.jobId)) throw new WorkbenchError('BAD_ARGUMENT', `--job-id "${args.jobId}" is not a job id (like 20261205-e8a7b5c3).`, 'Give the id the app gave the job.');
  fs.mkdirSync(args.reportDir, { recursive: true });
  const slurmJobId = process.env.SLURM_ARRAY_JOB_ID ? `${process.env.SLURM_ARRAY_JOB_ID}_${process.env.SLURM_ARRAY_TASK_ID}` : (process.env.SLURM_JOB_ID ?? null);
  const status = (job: JobView, extra: Partial<NodeStatus> = {}): NodeStatus => ({
    format: 1,
    jobId: job.id,
    state: job.state,
    signal: null,
    progress: job.progress,
    progressMessage: job.progressMessage,
    progressDetail: job.progressDetail,
    executionProvider: job.executionProvider,
    error: job.error,
    host: os.hostname(),
    slurmJobId,
    appVersion: APP_VERSION,
    updatedAt: Date.now(),
    ...extra,
  });
  let queued: JobView;
  let lastSeq = 0;
  try {
    ({ job: queued, logSeq: lastSeq } = enqueue(args, ctx.home));
  } catch (err) {
    // A job that cannot even start (bad params, a missing input) says why where the app looks.
    const error = err instanceof WorkbenchError ? err.toJSON() : { code: 'INTERNAL', message: String((err as Error).message ?? err) };
    writeStatus(args.reportDir, { format: 1, jobId: args.jobId, state: 'failed', signal: null, progress: null, progressMessage: null, progressDetail: null, executionProvider: null, error, host: os.hostname(), slurmJobId, appVersion: APP_VERSION, updatedAt: Date.now() });
    throw err;
  }
  if (queued.state === 'completed') {
    writeResult(args.reportDir, queued.result);
    writeStatus(args.reportDir, status(queued));
    ctx.stderr(`Job ${args.jobId} completed earlier; its result is in ${args.reportDir}.`);
    return 0;
  }

  const core = createCore({ home: ctx.home, frontDoor: 'cli' });
  let lastWritten = '';
  const copyLogs = async () => {
    const res = await core.call('jobs.logs', { id: args.jobId, afterSeq: lastSeq, limit: 5000 });
    if (!res.ok) return;
    const lines = res.result as JobLogLine[];
    if (lines.length === 0) return;
    lastSeq = lines[lines.length - 1].seq;
    appendLogLines(args.reportDir, lines.map((l) => ({ ts: l.ts, level: l.level, message: l.message })));
    for (const l of lines) ctx.stderr(`${l.level === 'info' ? '' : `${l.level}: `}${l.message}`);
  };
  const report = async (): Promise<JobView | null> => {
    const res = await core.call('jobs.get', { id: args.jobId });
    if (!res.ok) return null;
    const job = res.result as JobView;
    await copyLogs();
    const key = JSON.stringify([job.state, job.progress, job.progressMessage, job.progressDetail, job.executionProvider, job.error]);
    if (TERMINAL.has(job.state) && job.state === 'completed') writeResult(args.reportDir, job.result);
    if (key !== lastWritten) {
      lastWritten = key;
      writeStatus(args.reportDir, status(job));
    }
    return job;
  };

  let stopSignal: string | null = null;
  let wake: () => void = () => {};
  const onSignal = (signal: string) => () => {
    if (stopSignal) return;
    stopSignal = signal;
    ctx.stderr(`${signal}: checkpointing and stopping (resume continues from here).`);
    wake();
  };
  const handlers = STOP_SIGNALS.map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    for (;;) {
      const job = await report();
      if (job && TERMINAL.has(job.state)) return job.state === 'completed' ? 0 : 1;
      if (stopSignal) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, POLL_MS);
      });
    }
    // Closing the core stops its worker as the app does when it quits: a pausable job saves a checkpoint first.
    await core.close();
    const db = openDatabase(ctx.home);
    try {
      const job = new JobStore(db, (k) => jobKinds.isPausable(k)).get(args.jobId)!;
      const lines = new JobStore(db, (k) => jobKinds.isPausable(k)).logs(args.jobId, lastSeq, 5000);
      appendLogLines(args.reportDir, lines.map((l) => ({ ts: l.ts, level: l.level, message: l.message })));
      if (job.state === 'completed') {
        writeResult(args.reportDir, job.result);
        writeStatus(args.reportDir, status(job));
        return 0;
      }
      writeStatus(args.reportDir, status(job, TERMINAL.has(job.state) ? {} : { state: 'stopped', signal: stopSignal }));
      return job.state === 'failed' ? 1 : 0;
    } finally {
      db.close();
    }
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    await core.close();
  }
}
