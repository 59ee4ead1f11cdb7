import { randomUUID } from 'node:crypto';
import type { ApiError, JobLogLine, JobState, JobView, RemoteJobInfo, ResourceClass } from '../../preload/api';
import type { Db } from '../db/connection';
import { summariseJson, type JsonSummary } from './jsonSummary';

interface JobRow {
  id: string;
  kind: string;
  title: string;
  /** Absent from summary reads (only the summary columns are selected then). */
  params?: string;
  params_summary: string | null;
  result_summary: string | null;
  state: JobState;
  priority: number;
  position: number;
  resource: ResourceClass;
  execution_provider: string | null;
  cpu_fallback_pct: number | null;
  progress: number | null;
  progress_message: string | null;
  progress_detail: string | null;
  eta_seconds: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  elapsed_ms: number;
  attempt_started_at: number | null;
  attempts: number;
  error: string | null;
  result?: string | null;
  has_result: number;
  target: string | null;
  remote: string | null;
}

/** Every column a view needs, without the full params/result/checkpoint JSON. */
const SUMMARY_COLUMNS = `id, kind, title, params_summary, result_summary, result IS NOT NULL AS has_result, state, priority, position, resource, execution_provider, cpu_fallback_pct,
  progress, progress_message, progress_detail, eta_seconds, created_at, started_at, finished_at, elapsed_ms, attempt_started_at, attempts, error, target, remote`;

function summaryText(value: unknown): string {
  return JSON.stringify(summariseJson(value));
}

export type JobPatch = Partial<{
  state: JobState;
  resource: ResourceClass;
  executionProvider: string | null;
  cpuFallbackPct: number | null;
  progress: number | null;
  progressMessage: string | null;
  progressDetail: unknown;
  etaSeconds: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  elapsedMs: number;
  attemptStartedAt: number | null;
  attempts: number;
  error: ApiError | null;
  result: unknown;
  checkpoint: unknown;
  position: number;
  remote: RemoteJobInfo | null;
}>;

const columnOf: Record<keyof JobPatch, string> = {
  state: 'state',
  resource: 'resource',
  executionProvider: 'execution_provider',
  cpuFallbackPct: 'cpu_fallback_pct',
  progress: 'progress',
  progressMessage: 'progress_message',
  progressDetail: 'progress_detail',
  etaSeconds: 'eta_seconds',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  elapsedMs: 'elapsed_ms',
  attemptStartedAt: 'attempt_started_at',
  attempts: 'attempts',
  error: 'error',
  result: 'result',
  checkpoint: 'checkpoint',
  position: 'position',
  remote: 'remote',
};
const jsonColumns = new Set<keyof JobPatch>(['error', 'result', 'checkpoint', 'progressDetail', 'remote']);

/** A write that may succeed later: the disk is full (or failing), or another process holds the lock. */
export function isTransientWriteError(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? '');
  return code === 'ENOSPC' || code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/** How often state writes that failed are tried again. */
const FLUSH_RETRY_MS = 2000;

/**
 * The persistent queue: every state change is one committed row update. A change the scheduler
 * must not lose (a job's outcome, its progress) whose write fails for a reason that passes (a
 * full disk) is kept in memory, seen by every read of this store, and written by a timer once
 * the disk takes it again: a job never stays "running" with no worker because its end could
 * not be written.
 */
export class JobStore {
  private readonly unsaved = new Map<string, JobPatch>();
  private readonly lostLogLines = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly isPausable: (kind: string) => boolean,
  ) {}

  /** Jobs whose latest state is only in memory (its write failed and waits to be retried). */
  get unsavedJobs(): string[] {
    return [...this.unsaved.keys()];
  }

  /**
   * `target`: a cluster profile's name (null: this machine). `id`: a given id instead of a new one
   * (a cluster node runs a job under the id its app gave it, so runs/<id>/ is the same folder there and here).
   */
  insert(job: { kind: string; title: string; params: unknown; priority: number; resource: ResourceClass; target?: string | null; id?: string }): JobView {
    const id = job.id ?? `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomUUID().slice(0, 8)}`;
    const position = ((this.db.prepare('SELECT max(position) AS p FROM jobs').get() as { p: number | null }).p ?? 0) + 1;
    this.db
      .prepare(
        `INSERT INTO jobs (id, kind, title, params, params_summary, state, priority, position, resource, created_at, target)
         VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
      )
      .run(id, job.kind, job.title, JSON.stringify(job.params ?? null), summaryText(job.params ?? null), job.priority, position, job.resource, Date.now(), job.target ?? null);
    return this.view(id)!;
  }

  /** The whole job: params and result in full (jobs.get). */
  get(id: string): JobView | undefined {
    const row = this.db.prepare(`SELECT ${SUMMARY_COLUMNS}, params, result FROM jobs WHERE id = ?`).get(id) as JobRow | undefined;
    if (!row) return undefined;
    const pending = this.unsaved.get(id);
    const result = pending && 'result' in pending ? (pending.result ?? null) : row.result ? (JSON.parse(row.result) as unknown) : null;
    return { ...this.toView(row), params: JSON.parse(row.params!), result, summarised: false };
  }

  /** The job as lists and events carry it: params and result summarised when large (see jsonSummary). */
  view(id: string): JobView | undefined {
    const row = this.db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM jobs WHERE id = ?`).get(id) as JobRow | undefined;
    return row && this.toView(row);
  }

  list(): JobView[] {
    return (this.db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM jobs ORDER BY position ASC`).all() as JobRow[]).map((r) => this.toView(r));
  }

  inStates(states: JobState[]): JobView[] {
    const marks = states.map(() => '?').join(',');
    const stored = (this.db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM jobs WHERE state IN (${marks}) ORDER BY priority DESC, position ASC`).all(...states) as JobRow[]).map((r) => this.toView(r));
    if (this.unsaved.size === 0) return stored;
    // The state in memory decides for jobs whose last write waits.
    const found = stored.filter((j) => states.includes(j.state));
    for (const id of this.unsaved.keys()) {
      const j = found.some((f) => f.id === id) ? null : this.view(id);
      if (j && states.includes(j.state)) found.push(j);
    }
    return found.sort((a, b) => b.priority - a.priority || a.position - b.position);
  }

  /** The full params, for starting the job's worker. */
  paramsOf(id: string): unknown {
    const row = this.db.prepare('SELECT params FROM jobs WHERE id = ?').get(id) as { params: string } | undefined;
    return row ? JSON.parse(row.params) : null;
  }

  checkpointOf(id: string): unknown {
    const pending = this.unsaved.get(id);
    if (pending && 'checkpoint' in pending) return pending.checkpoint ?? null;
    const row = this.db.prepare('SELECT checkpoint FROM jobs WHERE id = ?').get(id) as { checkpoint: string | null } | undefined;
    return row?.checkpoint ? JSON.parse(row.checkpoint) : null;
  }

  /**
   * Change a job. `deferOnFailure`: when the write fails for a reason that passes (a full disk),
   * keep the change in memory (every read of this store sees it) and write it later, instead of
   * throwing; a change written after one that waits carries it along, so order is kept.
   */
  update(id: string, patch: JobPatch, options: { deferOnFailure?: boolean } = {}): JobView {
    const merged = { ...this.unsaved.get(id), ...patch };
    try {
      this.write(id, merged);
      this.unsaved.delete(id);
    } catch (err) {
      if (!options.deferOnFailure || !isTransientWriteError(err)) throw err;
      this.unsaved.set(id, merged);
      this.scheduleFlush();
    }
    return this.view(id)!;
  }

  private write(id: string, patch: JobPatch): void {
    const keys = Object.keys(patch) as (keyof JobPatch)[];
    if (keys.length === 0) return;
    const sets = keys.map((k) => `${columnOf[k]} = ?`).join(', ');
    const values = keys.map((k) => (jsonColumns.has(k) ? (patch[k] == null ? null : JSON.stringify(patch[k])) : (patch[k] as unknown)));
    // The result's summary is written with it, so views never parse the full result.
    const summary = 'result' in patch ? { sql: ', result_summary = ?', values: [patch.result == null ? null : summaryText(patch.result)] } : { sql: '', values: [] };
    this.db.prepare(`UPDATE jobs SET ${sets}${summary.sql} WHERE id = ?`).run(...values, ...summary.values, id);
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, FLUSH_RETRY_MS);
    this.flushTimer.unref();
  }

  /** Write the changes that wait; what still fails waits for the next try. */
  flush(): void {
    for (const [id, patch] of this.unsaved) {
      try {
        this.write(id, patch);
        this.unsaved.delete(id);
      } catch (err) {
        if (!isTransientWriteError(err)) this.unsaved.delete(id);
        break;
      }
    }
    if (this.unsaved.size > 0) this.scheduleFlush();
  }

  /** Stop retrying (the database is closing); what still waits is lost, as in a crash, and recovered at the next start. */
  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.unsaved.size > 0) this.flush();
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id);
    this.unsaved.delete(id);
    this.lostLogLines.delete(id);
  }

  /** Swap a job's position with its neighbour among jobs in the same state group. */
  swapPositions(a: string, b: string): void {
    this.db.transaction(() => {
      const pa = (this.db.prepare('SELECT position FROM jobs WHERE id = ?').get(a) as { position: number }).position;
      const pb = (this.db.prepare('SELECT position FROM jobs WHERE id = ?').get(b) as { position: number }).position;
      this.db.prepare('UPDATE jobs SET position = ? WHERE id = ?').run(pb, a);
      this.db.prepare('UPDATE jobs SET position = ? WHERE id = ?').run(pa, b);
    })();
  }

  /**
   * Add a line to a job's log, or null when it could not be written (a full disk): such lines
   * are counted, and the next line written says how many were lost.
   */
  appendLog(jobId: string, level: JobLogLine['level'], message: string): JobLogLine | null {
    const lost = this.lostLogLines.get(jobId) ?? 0;
    try {
      if (lost > 0) {
        this.insertLog(jobId, 'warn', `${lost} log line(s) of this job were lost: the disk was full, or the database could not be written.`);
        this.lostLogLines.delete(jobId);
      }
      return this.insertLog(jobId, level, message);
    } catch (err) {
      if (!isTransientWriteError(err)) throw err;
      this.lostLogLines.set(jobId, (this.lostLogLines.get(jobId) ?? 0) + 1);
      return null;
    }
  }

  private insertLog(jobId: string, level: JobLogLine['level'], message: string): JobLogLine {
    const seq = ((this.db.prepare('SELECT max(seq) AS s FROM job_logs WHERE job_id = ?').get(jobId) as { s: number | null }).s ?? 0) + 1;
    const line: JobLogLine = { jobId, seq, ts: Date.now(), level, message };
    this.db.prepare('INSERT INTO job_logs (job_id, seq, ts, level, message) VALUES (?, ?, ?, ?, ?)').run(jobId, seq, line.ts, level, message);
    return line;
  }

  logs(jobId: string, afterSeq = 0, limit = 1000): JobLogLine[] {
    return (
      this.db.prepare('SELECT job_id, seq, ts, level, message FROM job_logs WHERE job_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?').all(jobId, afterSeq, limit) as {
        job_id: string;
        seq: number;
        ts: number;
        level: JobLogLine['level'];
        message: string;
      }[]
    ).map((r) => ({ jobId: r.job_id, seq: r.seq, ts: r.ts, level: r.level, message: r.message }));
  }

  /** A summary column, computed (and stored) once for rows written before summaries existed. */
  private summaryOf(r: JobRow, column: 'params' | 'result'): JsonSummary {
    const stored = column === 'params' ? r.params_summary : r.result_summary;
    if (stored !== null) return JSON.parse(stored) as JsonSummary;
    if (column === 'result' && !r.has_result) return { value: null, cut: false };
    const full = (this.db.prepare(`SELECT ${column} AS v FROM jobs WHERE id = ?`).get(r.id) as { v: string | null }).v;
    const text = summaryText(full === null ? null : JSON.parse(full));
    this.db.prepare(`UPDATE jobs SET ${column}_summary = ? WHERE id = ?`).run(text, r.id);
    return JSON.parse(text) as JsonSummary;
  }

  private toView(r: JobRow): JobView {
    const view = this.rowView(r);
    const pending = this.unsaved.get(r.id);
    return pending ? withPatch(view, pending) : view;
  }

  private rowView(r: JobRow): JobView {
    const params = this.summaryOf(r, 'params');
    const result = this.summaryOf(r, 'result');
    return {
      id: r.id,
      kind: r.kind,
      title: r.title,
      params: params.value,
      summarised: params.cut || result.cut,
      state: r.state,
      priority: r.priority,
      position: r.position,
      resource: r.resource,
      executionProvider: r.execution_provider,
      cpuFallbackPct: r.cpu_fallback_pct,
      progress: r.progress,
      progressMessage: r.progress_message,
      progressDetail: r.progress_detail ? JSON.parse(r.progress_detail) : null,
      etaSeconds: r.eta_seconds,
      createdAt: r.created_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      elapsedMs: r.elapsed_ms,
      attemptStartedAt: r.attempt_started_at,
      attempts: r.attempts,
      error: r.error ? JSON.parse(r.error) : null,
      result: result.value,
      pausable: this.isPausable(r.kind),
      target: r.target,
      remote: r.remote ? (JSON.parse(r.remote) as RemoteJobInfo) : null,
    };
  }
}

/** A view with a change that is not written yet laid over it. */
function withPatch(view: JobView, patch: JobPatch): JobView {
  const out: JobView = { ...view };
  for (const [k, v] of Object.entries(patch) as [keyof JobPatch, unknown][]) {
    if (k === 'checkpoint') continue;
    if (k === 'result') {
      const s = summariseJson(v ?? null);
      out.result = s.value;
      out.summarised = out.summarised || s.cut;
      continue;
    }
    (out as unknown as Record<string, unknown>)[k] = v ?? null;
  }
  return out;
}
