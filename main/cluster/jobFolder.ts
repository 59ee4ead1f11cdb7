/**
 * A remote job's folder on the cluster, <workdir>/<job-id>/, and the files in it that the node
 * writes and the app reads (over ssh for `ssh` targets):
 *   params.json   the job's parameters as the node runs them (inputs as the cluster sees them)
 *   job.sbatch    the batch script
 *   home/         the node's --home: its own database, runs/<job-id>/, index/
 *   status.json   the job's state, progress and error, rewritten as it changes (atomically)
 *   log.jsonl     the job's log lines, appended
 *   result.json   the job's result, written once it completed (before status says so)
 *   slurm-<id>.out  Slurm's output file (the node's stderr)
 *   parts/<i>/    a job that splits (a sharded index): each part's params, home and report files,
 *                 run by parts.sbatch as a Slurm array; the job folder's own files are the join's
 * The file formats are this module's; `jobs run --report <dir>` writes them, the executor reads them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ApiError, JobState } from '../../preload/api';

export const STATUS_FILE = 'status.json';
export const LOG_FILE = 'log.jsonl';
export const RESULT_FILE = 'result.json';
export const PARAMS_FILE = 'params.json';
export const SCRIPT_FILE = 'job.sbatch';
export const NODE_HOME = 'home';
export const INPUTS_MANIFEST = 'inputs.sha256';
/** A job that splits: parts/<i>/ holds part i's params.json, home/ and report files; parts.sbatch is their array script. */
export const PARTS_DIR = 'parts';
export const PARTS_SCRIPT_FILE = 'parts.sbatch';

/** What the node says of the job. `stopped`: it checkpointed and exited on a signal (USR1 before the time limit, TERM on requeue, our pause). */
export interface NodeStatus {
  format: 1;
  jobId: string;
  state: JobState | 'stopped';
  /** The signal that stopped it, when state is "stopped". */
  signal: string | null;
  progress: number | null;
  progressMessage: string | null;
  progressDetail: unknown;
  executionProvider: string | null;
  error: ApiError | null;
  host: string;
  slurmJobId: string | null;
  appVersion: string;
  updatedAt: number;
}

export interface NodeLogLine {
  ts: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** Write a file whole or not at all, so a reader never sees half of it. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export function writeStatus(reportDir: string, status: NodeStatus): void {
  writeFileAtomic(path.join(reportDir, STATUS_FILE), `${JSON.stringify(status)}\n`);
}

export function appendLogLines(reportDir: string, lines: NodeLogLine[]): void {
  if (lines.length === 0) return;
  fs.appendFileSync(path.join(reportDir, LOG_FILE), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
}

export function writeResult(reportDir: string, result: unknown): void {
  writeFileAtomic(path.join(reportDir, RESULT_FILE), `${JSON.stringify({ result })}\n`);
}

export function parseStatus(text: string): NodeStatus | null {
  try {
    const s = JSON.parse(text) as NodeStatus;
    return s && s.format === 1 && typeof s.state === 'string' ? s : null;
  } catch {
    return null;
  }
}

/** Complete lines of an appended JSONL file; a line still being written is left for the next read. */
export function parseLogChunk(text: string): { lines: NodeLogLine[]; consumed: number } {
  const end = text.lastIndexOf('\n');
  if (end < 0) return { lines: [], consumed: 0 };
  const lines: NodeLogLine[] = [];
  for (const raw of text.slice(0, end).split('\n')) {
    try {
      const l = JSON.parse(raw) as NodeLogLine;
      if (l && typeof l.message === 'string') lines.push(l);
    } catch {
      // A damaged line is skipped; the rest still reads.
    }
  }
  return { lines, consumed: Buffer.byteLength(text.slice(0, end + 1)) };
}
