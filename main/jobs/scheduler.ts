import type { JobLogLine, JobState, JobView, ResourceClass } from '../../preload/api';
import { runDir } from '../home';
import { toApiError, WorkbenchError } from '../errors';
import { mergeExecutionProvider } from '../engine/sessionProviders';
import { describeNodePlacement } from '../engine/nodePlacement';
import { AttemptEta } from './attemptEta';
import { GpuAvailability } from './gpuAvailability';
import type { JobExecutor } from './jobExecutor';
import type { StopReason } from './kind';
import type { WorkerToHost } from './protocol';
import type { JobKindTable } from './registry';
import type { JobStore } from './store';
import type { WorkerHandle, WorkerSpawner } from './workerHost';

export interface SchedulerEvents {
  jobUpdated(job: JobView): void;
  jobRemoved(id: string): void;
  jobLog(line: JobLogLine): void;
}

interface RunningJob {
  handle: WorkerHandle;
  /** Runs on a cluster (through the executor): takes no local slot, and keeps running when the app closes. */
  remote: boolean;
  resource: ResourceClass;
  attemptStartedAt: number;
  elapsedBefore: number;
  /** This attempt's progress rate, for the ETA. */
  eta: AttemptEta;
  lastProgressWrite: number;
  /** The newest progress report held back by the write interval; written when the interval ends, or with the outcome. */
  pendingProgress: { progress: number | null; progressMessage: string | null; progressDetail: unknown } | null;
  progressTimer?: NodeJS.Timeout;
  stopRequested: StopReason | null;
  outcome: WorkerToHost | null;
  killTimer?: NodeJS.Timeout;
}

const PROGRESS_WRITE_INTERVAL_MS = 250;
const STOP_GRACE_MS = 3000;

const ACTIVE: JobState[] = ['running', 'pausing', 'cancelling'];
const FINISHED: JobState[] = ['completed', 'failed', 'cancelled'];

/**
 * Runs queued jobs in worker processes: at most one GPU-class job at a time and a configurable
 * number of CPU-class jobs; a job that asks for the GPU where no GPU works gets a CPU slot
 * (GpuAvailability). Every transition is committed to the store before it is announced.
 */
export class JobScheduler {
  private readonly running = new Map<string, RunningJob>();
  private closed = false;
  private readonly poller: NodeJS.Timeout;
  /** One callback object, so the GPU probe calls pump once however many jobs waited on it. */
  private readonly repump = () => this.pump();

  constructor(
    private readonly store: JobStore,
    private readonly kinds: JobKindTable,
    private readonly spawner: WorkerSpawner,
    private readonly home: string,
    private readonly events: SchedulerEvents,
    private cpuConcurrency: number,
    private readonly gpu: GpuAvailability = GpuAvailability.fixed(true),
    /** Runs jobs whose target is a cluster; without one, such jobs are refused when added. */
    private readonly executor: JobExecutor | null = null,
  ) {
    // Other processes (the CLI) may queue or cancel jobs in the shared database: notice them.
    this.poller = setInterval(() => this.syncFromStore(), 1000);
    this.poller.unref();
  }

  private syncFromStore(): void {
    // A timer: a database that cannot be read just now (locked, failing) is read again next time.
    try {
      for (const [id, r] of this.running) {
        const state = this.store.view(id)?.state;
        if (!r.stopRequested && state === 'cancelling') this.requestStop(id, 'cancel');
        if (!r.stopRequested && state === 'pausing') this.requestStop(id, 'pause');
      }
      this.pump();
    } catch {
      // tried again in a second
    }
  }

  /** After a crash or restart: jobs that were running are interrupted, and resumed if they can be. */
  recoverAfterRestart(): void {
    for (const job of this.store.inStates(ACTIVE)) {
      if (job.target) {
        // It runs on its cluster whether or not this app was open: follow it again.
        this.attachRemote(job);
        continue;
      }
      if (job.state === 'cancelling') {
        this.transition(job.id, { state: 'cancelled', finishedAt: Date.now(), attemptStartedAt: null }, 'The app stopped while this job was being cancelled; it is cancelled.');
        continue;
      }
      const pausable = job.pausable;
      if (job.state === 'pausing' && pausable) {
        this.transition(job.id, { state: 'paused', etaSeconds: null, attemptStartedAt: null }, 'The app stopped while this job was pausing; it is paused at its last checkpoint.');
      } else if (pausable) {
        this.transition(job.id, { state: 'queued', etaSeconds: null, attemptStartedAt: null }, 'The app stopped while this job ran; it was re-queued and continues from its last checkpoint.');
      } else {
        this.transition(
          job.id,
          { state: 'interrupted', etaSeconds: null, attemptStartedAt: null, error: { code: 'INTERRUPTED', message: 'The app stopped while this job was running.', hint: 'Retry it to run it again from the start.' } },
          'The app stopped while this job ran; this kind cannot resume, retry it to start again.',
        );
      }
    }
    this.pump();
  }

  /** `target`: a cluster profile's name (the executor runs it there); left out, this machine. */
  add(kindName: string, rawParams: unknown, priority = 0, target: string | null = null): JobView {
    const kind = this.kinds.find(kindName);
    const params = this.kinds.parseParams(kindName, rawParams);
    if (target) this.checkTarget(target, kindName);
    const resource = typeof kind.resource === 'function' ? kind.resource(params) : kind.resource;
    const job = this.store.insert({ kind: kindName, title: kind.title(params, { home: this.home }), params, priority, resource, target });
    this.events.jobUpdated(job);
    this.pump();
    return this.store.view(job.id)!;
  }

  /** A job of this kind may run on this target: the kind says it can, and the executor knows the target. */
  checkTarget(target: string, kindName: string): void {
    this.kinds.requireRemote(kindName, target);
    if (!this.executor) throw new WorkbenchError('NO_CLUSTER_EXECUTOR', `This app cannot run jobs on clusters (no executor), so not on "${target}".`);
    this.executor.checkTarget(target, kindName);
  }

  setCpuConcurrency(n: number): void {
    this.cpuConcurrency = n;
    this.pump();
  }

  pause(id: string): JobView {
    const job = this.require(id);
    if (!job.pausable) throw new WorkbenchError('NOT_PAUSABLE', `"${job.title}" cannot be paused: its kind does not checkpoint.`, 'Cancel it instead, or let it finish.');
    if (job.state === 'queued' || job.state === 'interrupted') return this.transition(id, { state: 'paused' }, 'Paused before it started.', 'info', 'throw');
    if (job.state === 'running') {
      this.requestStop(id, 'pause');
      return this.transition(id, { state: 'pausing' }, 'Pausing: the job saves a checkpoint and stops.');
    }
    throw this.wrongState(job, 'paused');
  }

  resume(id: string): JobView {
    const job = this.require(id);
    if (job.state !== 'paused' && job.state !== 'interrupted') throw this.wrongState(job, 'resumed');
    const view = this.transition(id, { state: 'queued', error: null }, 'Resumed: queued to continue from its last checkpoint.', 'info', 'throw');
    this.pump();
    return this.store.view(view.id)!;
  }

  cancel(id: string): JobView {
    const job = this.require(id);
    if (job.state === 'queued' || job.state === 'paused' || job.state === 'interrupted') {
      return this.transition(id, { state: 'cancelled', finishedAt: Date.now(), etaSeconds: null }, 'Cancelled.', 'info', 'throw');
    }
    if (job.state === 'running' || job.state === 'pausing') {
      this.requestStop(id, 'cancel');
      return this.transition(id, { state: 'cancelling' }, 'Cancelling: the worker is being stopped.');
    }
    throw this.wrongState(job, 'cancelled');
  }

  retry(id: string): JobView {
    const job = this.require(id);
    if (job.state !== 'failed' && job.state !== 'cancelled' && job.state !== 'interrupted') throw this.wrongState(job, 'retried');
    // Pausable kinds keep their checkpoint, so a retry continues rather than redoing finished work.
    const patch = job.pausable ? {} : { checkpoint: null, progress: null, executionProvider: null, cpuFallbackPct: null };
    this.transition(id, { ...patch, state: 'queued', error: null, finishedAt: null, etaSeconds: null, progressMessage: null, progressDetail: null }, 'Retry: queued again.', 'info', 'throw');
    this.pump();
    return this.store.view(id)!;
  }

  remove(id: string): void {
    const job = this.require(id);
    if (ACTIVE.includes(job.state)) throw new WorkbenchError('JOB_ACTIVE', `"${job.title}" is still running.`, 'Cancel it first, then remove it.');
    this.store.remove(id);
    this.events.jobRemoved(id);
  }

  /**
   * Remove finished jobs (all, or those of `ids`) from the queue; only their records go, never
   * the files they wrote. Jobs that are not finished are skipped. Returns the ids removed.
   */
  clearFinished(ids?: string[]): string[] {
    const wanted = ids ? new Set(ids) : null;
    const doomed = this.store.inStates(FINISHED).filter((j) => !wanted || wanted.has(j.id));
    for (const job of doomed) {
      this.store.remove(job.id);
      this.events.jobRemoved(job.id);
    }
    return doomed.map((j) => j.id);
  }

  /** Move a waiting job one place up or down among the waiting jobs of the queue. */
  move(id: string, direction: -1 | 1): JobView[] {
    const job = this.require(id);
    const waiting = this.store.list().filter((j) => j.state === 'queued' || j.state === 'paused');
    const i = waiting.findIndex((j) => j.id === id);
    if (i < 0) throw this.wrongState(job, 'reordered');
    const other = waiting[i + direction];
    if (other) {
      this.store.swapPositions(id, other.id);
      this.events.jobUpdated(this.store.view(id)!);
      this.events.jobUpdated(this.store.view(other.id)!);
    }
    this.pump();
    return this.store.list();
  }

  /** Stop all workers: pausable jobs checkpoint, others are interrupted. Resolves when all exited. */
  async shutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.poller);
    const exits = [...this.running.entries()].map(
      ([id, r]) =>
        new Promise<void>((resolve) => {
          r.handle.onExit(() => resolve());
          // A job on a cluster is left running there: stop following it (kill() of its handle).
          if (r.remote) r.handle.kill();
          // A finished job removed from the list while its worker still exits has no row: it is just stopped.
          else if (!r.stopRequested) this.requestStop(id, this.store.view(id)?.pausable ? 'pause' : 'cancel', true);
        }),
    );
    await Promise.all(exits);
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  private pump(): void {
    if (this.closed) return;
    const counts = { gpu: 0, cpu: 0 };
    for (const r of this.running.values()) if (!r.remote) counts[r.resource]++;
    for (const queued of this.store.inStates(['queued'])) {
      // A job resumed right after pausing may still have its previous worker exiting.
      if (this.running.has(queued.id)) continue;
      if (queued.target) {
        // The cluster's own scheduler decides when it runs: submitted at once, no slot here.
        this.start(queued);
        continue;
      }
      const job = this.slotFor(queued);
      if (!job) continue;
      const limit = job.resource === 'gpu' ? 1 : this.cpuConcurrency;
      if (counts[job.resource] >= limit) continue;
      counts[job.resource]++;
      this.start(job);
    }
  }

  /**
   * The job with the slot class this machine can give it: one that asks for the GPU where none
   * works takes a CPU slot (written to the store, whoever queued it: the API, the CLI). null while
   * the GPU probe has not answered: the job waits for it.
   */
  private slotFor(job: JobView): JobView | null {
    if (job.resource !== 'gpu') return job;
    const available = this.gpu.available(this.repump);
    if (available === null) return null;
    if (available) return job;
    const moved = this.store.update(job.id, { resource: 'cpu' }, { deferOnFailure: true });
    this.log(job.id, 'info', 'No GPU execution provider works on this machine: the job takes a CPU slot and runs on CPU.');
    this.events.jobUpdated(moved);
    return moved;
  }

  private start(job: JobView): void {
    const now = Date.now();
    const handle = job.target ? this.openRemote(job) : this.spawner.spawn(job.id);
    if (!handle) return;
    const r = runningJob(handle, job, Boolean(job.target), now);
    this.running.set(job.id, r);
    this.transition(
      job.id,
      { state: 'running', startedAt: job.startedAt ?? now, attemptStartedAt: now, attempts: job.attempts + 1, etaSeconds: null },
      job.target ? `Started (attempt ${job.attempts + 1}): submitting to cluster "${job.target}".` : `Started (attempt ${job.attempts + 1}, worker pid ${handle.pid ?? '?'}).`,
    );
    this.follow(job, r, false);
  }

  private follow(job: JobView, r: RunningJob, attach: boolean): void {
    r.handle.onMessage((m) => this.onMessage(job.id, r, m));
    r.handle.onExit((code, signal) => this.onExit(job.id, r, code, signal));
    r.handle.send({
      type: 'start',
      attach,
      job: { id: job.id, kind: job.kind, params: this.store.paramsOf(job.id), checkpoint: this.store.checkpointOf(job.id), home: this.home, runDir: runDir(this.home, job.id), target: job.target, remote: job.remote },
    });
  }

  /** The executor's handle for a job on a cluster; without an executor the job fails, saying why. */
  private openRemote(job: JobView): WorkerHandle | null {
    if (this.executor) return this.executor.open(job.id);
    this.transition(job.id, { state: 'failed', finishedAt: Date.now(), error: { code: 'NO_CLUSTER_EXECUTOR', message: `This app cannot run jobs on clusters, so not on "${job.target}".` } }, 'No executor for cluster jobs.', 'error');
    return null;
  }

  /** After a restart: follow a job that runs (or pauses, or is cancelled) on its cluster, as it stands there. */
  private attachRemote(job: JobView): void {
    const handle = this.openRemote(job);
    if (!handle) return;
    const r = runningJob(handle, job, true, job.attemptStartedAt ?? Date.now());
    this.running.set(job.id, r);
    this.log(job.id, 'info', `Following it again on cluster "${job.target}"${job.remote?.slurmJobId ? ` (Slurm job ${job.remote.slurmJobId})` : ''}.`);
    this.follow(job, r, true);
    if (job.state === 'pausing') this.requestStop(job.id, 'pause');
    if (job.state === 'cancelling') this.requestStop(job.id, 'cancel');
  }

  private onMessage(id: string, r: RunningJob, m: WorkerToHost): void {
    const now = Date.now();
    switch (m.type) {
      case 'ready':
        return;
      case 'progress': {
        const p = m.fraction == null ? null : Math.min(1, Math.max(0, m.fraction));
        if (p != null) r.eta.record(now, p);
        r.pendingProgress = { progress: p, progressMessage: m.message ?? null, progressDetail: m.detail ?? null };
        // At most one write per interval, but the newest report is never lost: it is written when the interval ends.
        const wait = PROGRESS_WRITE_INTERVAL_MS - (now - r.lastProgressWrite);
        if (wait > 0) {
          r.progressTimer ??= setTimeout(() => this.writeProgress(id, r), wait);
          return;
        }
        this.writeProgress(id, r);
        return;
      }
      case 'log':
        this.log(id, m.level, m.message);
        return;
      case 'remote':
        this.events.jobUpdated(this.store.update(id, { remote: m.info }, { deferOnFailure: true }));
        return;
      case 'execution-provider': {
        const job = this.store.view(id);
        // Gone from the list (removed while its worker exits): nothing to record it on.
        if (!job) return;
        const current = job.executionProvider;
        const next = mergeExecutionProvider(current, m.ep);
        if (next === current) return;
        this.events.jobUpdated(this.store.update(id, { executionProvider: next }, { deferOnFailure: true }));
        this.log(id, 'info', `Model sessions run on ${m.ep.toUpperCase()}.`);
        return;
      }
      case 'node-placement': {
        const job = this.store.view(id);
        if (!job) return;
        const p = m.placement;
        this.log(id, p.cpuNodes > 0 ? 'warn' : 'info', `A ${p.ep.toUpperCase()} session's first run: ${describeNodePlacement(p)}.`);
        // The worst session is what the job shows: one graph mostly on the CPU is the one to fix.
        if (job.cpuFallbackPct !== null && job.cpuFallbackPct >= p.cpuNodePct) return;
        this.events.jobUpdated(this.store.update(id, { cpuFallbackPct: p.cpuNodePct }, { deferOnFailure: true }));
        return;
      }
      case 'checkpoint':
        try {
          this.store.update(id, { checkpoint: m.state });
          r.handle.send({ type: 'checkpoint-saved', seq: m.seq });
        } catch (err) {
          // Not saved (a full disk): the worker learns it, and the job fails with why, resumable.
          r.handle.send({ type: 'checkpoint-saved', seq: m.seq, error: toApiError(err) });
        }
        return;
      case 'done':
        // Commit the result the moment it exists: a crash after this line loses nothing.
        r.outcome = m;
        this.transition(
          id,
          { ...this.takePendingProgress(r), state: 'completed', result: m.result, progress: 1, etaSeconds: 0, finishedAt: now, elapsedMs: r.elapsedBefore + (now - r.attemptStartedAt), attemptStartedAt: null, error: null },
          'Completed.',
        );
        return;
      case 'failed':
        r.outcome = m;
        this.transition(id, { ...this.takePendingProgress(r), state: 'failed', error: m.error, etaSeconds: null, finishedAt: now, elapsedMs: r.elapsedBefore + (now - r.attemptStartedAt), attemptStartedAt: null }, `Failed: ${m.error.message}${m.error.hint ? ` (${m.error.hint})` : ''}`, 'error');
        return;
      case 'stopped': {
        r.outcome = m;
        const last = this.takePendingProgress(r);
        this.transition(
          id,
          m.reason === 'pause'
            ? { ...last, state: this.closed ? 'queued' : 'paused', etaSeconds: null, elapsedMs: r.elapsedBefore + (now - r.attemptStartedAt), attemptStartedAt: null }
            : { state: 'cancelled', etaSeconds: null, finishedAt: now, elapsedMs: r.elapsedBefore + (now - r.attemptStartedAt), attemptStartedAt: null },
          m.reason === 'pause' ? 'Paused at a checkpoint.' : 'Cancelled.',
        );
        return;
      }
    }
  }

  private writeProgress(id: string, r: RunningJob): void {
    clearTimeout(r.progressTimer);
    r.progressTimer = undefined;
    if (!r.pendingProgress || r.outcome || this.running.get(id) !== r) return;
    r.lastProgressWrite = Date.now();
    const job = this.store.update(id, { ...r.pendingProgress, etaSeconds: r.eta.seconds() }, { deferOnFailure: true });
    r.pendingProgress = null;
    this.events.jobUpdated(job);
  }

  /** The progress report still held back, to commit with the job's outcome. */
  private takePendingProgress(r: RunningJob): Partial<Pick<JobView, 'progressMessage' | 'progressDetail'>> {
    clearTimeout(r.progressTimer);
    r.progressTimer = undefined;
    const pending = r.pendingProgress;
    r.pendingProgress = null;
    return pending ? { progressMessage: pending.progressMessage, progressDetail: pending.progressDetail } : {};
  }

  private onExit(id: string, r: RunningJob, code: number | null, signal: string | null): void {
    clearTimeout(r.killTimer);
    clearTimeout(r.progressTimer);
    if (this.running.get(id) === r) this.running.delete(id);
    const job = this.store.view(id);
    if (job && !r.outcome && r.remote && this.closed) {
      // The app closed: the job goes on running on its cluster; the next start follows it again.
    } else if (job && !r.outcome) {
      const now = Date.now();
      const elapsedMs = r.elapsedBefore + (now - r.attemptStartedAt);
      const attemptStartedAt = null;
      if (r.stopRequested === 'cancel' && !this.closed) {
        this.transition(id, { state: 'cancelled', finishedAt: now, etaSeconds: null, elapsedMs, attemptStartedAt }, 'Cancelled: the worker was stopped.');
      } else if (this.closed) {
        // App shutdown: a pausable job is paused at its last checkpoint, the others interrupted.
        const state = job.pausable ? 'queued' : 'interrupted';
        this.transition(id, { state, etaSeconds: null, elapsedMs, attemptStartedAt }, 'The app closed while this job ran.');
      } else {
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        const kind = this.kinds.find(job.kind);
        const canRetry = job.pausable && job.attempts < (kind.maxAttempts ?? 1);
        this.transition(
          id,
          canRetry
            ? { state: 'queued', etaSeconds: null, elapsedMs, attemptStartedAt }
            : {
                state: 'failed',
                finishedAt: now,
                etaSeconds: null,
                elapsedMs,
                attemptStartedAt,
                error: { code: 'WORKER_CRASHED', message: `The worker process of "${job.title}" died (${how}).`, hint: job.pausable ? 'Retry it: it continues from its last checkpoint.' : 'Retry it; if it keeps crashing, read its log.' },
              },
          `Worker died (${how}).${canRetry ? ' Retrying from the last checkpoint.' : ''}`,
          'error',
        );
      }
    }
    this.pump();
  }

  private requestStop(id: string, reason: StopReason, quiet = false): void {
    const r = this.running.get(id);
    if (!r) return;
    r.stopRequested = reason;
    r.handle.send({ type: 'stop', reason });
    // A cluster job's executor waits for Slurm to end it (scancel), however long that takes.
    if (r.remote) return;
    // Pausing needs time to write a checkpoint; cancelling must really stop the worker soon.
    const grace = reason === 'cancel' ? STOP_GRACE_MS : STOP_GRACE_MS * 10;
    r.killTimer = setTimeout(() => {
      if (!quiet) this.log(id, 'warn', `The worker did not stop within ${grace / 1000}s; killing it.`);
      r.handle.kill();
    }, grace);
  }

  /**
   * Commit a change of state, log it and announce it. What the scheduler itself decides (a
   * job's start and outcome, recovery) must hold even when the disk is full: its write waits in
   * the store's memory and is written once the disk takes it (JobStore.update). A user's request
   * (pause, resume, cancel, retry) that cannot be written fails instead, saying why.
   */
  private transition(id: string, patch: Parameters<JobStore['update']>[1], message: string, level: JobLogLine['level'] = 'info', durability: 'defer' | 'throw' = 'defer'): JobView {
    const job = this.store.update(id, patch, { deferOnFailure: durability === 'defer' });
    this.log(id, level, message);
    this.events.jobUpdated(job);
    return job;
  }

  private log(id: string, level: JobLogLine['level'], message: string): void {
    try {
      const line = this.store.appendLog(id, level, message);
      if (line) this.events.jobLog(line);
    } catch {
      // A log line is not worth failing a transition for.
    }
  }

  private require(id: string): JobView {
    const job = this.store.view(id);
    if (!job) throw new WorkbenchError('JOB_NOT_FOUND', `There is no job ${id}.`, 'It may have been removed; refresh the Queue.');
    return job;
  }

  private wrongState(job: JobView, verb: string): WorkbenchError {
    return new WorkbenchError('JOB_WRONG_STATE', `"${job.title}" is ${job.state} and cannot be ${verb}.`);
  }
}

/** A job's bookkeeping from the attempt's start: a fresh start and a cluster job followed again after a restart begin alike. */
function runningJob(handle: WorkerHandle, job: JobView, remote: boolean, attemptStartedAt: number): RunningJob {
  return { handle, remote, resource: job.resource, attemptStartedAt, elapsedBefore: job.elapsedMs, eta: new AttemptEta(), lastProgressWrite: 0, pendingProgress: null, stopRequested: null, outcome: null };
}
