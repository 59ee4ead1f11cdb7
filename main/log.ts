import fs from 'node:fs';
import path from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One structured logger for the core: JSON lines in <home>/logs/core.log; warnings also on stderr. */
export interface Logger {
  log(level: LogLevel, scope: string, message: string, fields?: Record<string, unknown>): void;
}

const MAX_BYTES = 10 << 20;
/** After a failed write, the next try waits this long, doubling up to the cap. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Where diagnostics go when their destination can fail (a full disk, a closed pipe): a write
 * that fails is dropped and counted, the destination is not tried again until a backoff has
 * passed (1 s, doubling to 30 s), and the first write that succeeds afterwards says how many
 * were dropped. Never a retry loop: a diagnostic about a failed write must not become another
 * failed write (issue 16: a core logging onto a full disk spun at 95% CPU).
 */
export class DroppingWriter {
  private dropped = 0;
  private failures = 0;
  private retryAt = 0;
  private lastError = '';
  /** Write attempts made, for tests that bound them. */
  attempts = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly droppedNote: (n: number, why: string) => string,
    private readonly permanent: (code: string) => boolean = () => false,
  ) {}

  get droppedCount(): number {
    return this.dropped;
  }

  /** Whether the destination gave up for good (a reader that went away). */
  get closed(): boolean {
    return this.retryAt === Number.POSITIVE_INFINITY;
  }

  put(text: string): void {
    if (Date.now() < this.retryAt) {
      this.dropped++;
      return;
    }
    try {
      this.attempts++;
      this.write(this.dropped > 0 ? `${this.droppedNote(this.dropped, this.lastError)}${text}` : text);
      this.dropped = 0;
      this.failures = 0;
      this.retryAt = 0;
    } catch (err) {
      this.failed(err);
      this.dropped++;
    }
  }

  /** A failure reported later (a stream's 'error' event): back off as for a failed write. */
  failed(err: unknown): void {
    const code = String((err as { code?: unknown })?.code ?? (err as Error)?.message ?? err);
    this.lastError = code;
    this.failures++;
    this.retryAt = this.permanent(code) ? Number.POSITIVE_INFINITY : Date.now() + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.failures - 1));
  }
}

/** Errors after which a standard stream will never take output again. */
const GONE = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'EBADF']);

/**
 * The process's stderr for diagnostics. On a file or device it is written synchronously with
 * errors caught (process.stderr would turn ENOSPC into an uncaught exception, whose report is
 * written to stderr again...); on a pipe or terminal through process.stderr, whose errors are
 * caught here too. Either way a failing stderr is backed off, never retried in a loop.
 */
function makeStderr(): DroppingWriter {
  let direct = false;
  try {
    const st = fs.fstatSync(2);
    direct = !process.stderr.isTTY && !st.isFIFO() && !st.isSocket();
  } catch {
    direct = false;
  }
  const writer = new DroppingWriter(
    direct ? (text) => void fs.writeSync(2, text) : (text) => void process.stderr.write(text),
    (n, why) => `[${n} diagnostic line(s) could not be written to stderr (${why}) and were dropped]\n`,
    (code) => GONE.has(code),
  );
  // Without a listener a write error of process.stderr is an uncaught exception.
  process.stderr.on('error', (err) => writer.failed(err));
  return writer;
}

let stderrWriter: DroppingWriter | null = null;

/** Write a diagnostic to stderr: dropped (and counted) while stderr cannot take it. */
export function writeStderr(text: string): void {
  stderrWriter ??= makeStderr();
  stderrWriter.put(text);
}

/** Writes to stderr tried so far (for tests that bound them). */
export function stderrAttempts(): number {
  return stderrWriter?.attempts ?? 0;
}

export interface FileLogger extends Logger {
  /** Lines not written (a full disk) since the last line that was. */
  readonly dropped: number;
  /** Appends tried, for tests that bound them. */
  readonly attempts: number;
}

export function createFileLogger(home: string, options: { echo?: boolean } = {}): FileLogger {
  const dir = path.join(home, 'logs');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'core.log');
  // Keep one previous generation: enough to read what happened before a crash, bounded on disk.
  try {
    if (fs.statSync(file).size > MAX_BYTES) fs.renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
  const sink = new DroppingWriter(
    (text) => fs.appendFileSync(file, text),
    (n, why) => `${JSON.stringify({ ts: new Date().toISOString(), level: 'warn', scope: 'log', message: `${n} log line(s) were dropped while ${file} could not be written (${why})` })}\n`,
  );
  return {
    log(level, scope, message, fields) {
      sink.put(JSON.stringify({ ts: new Date().toISOString(), level, scope, message, ...fields }) + '\n');
      if (options.echo !== false && (level === 'warn' || level === 'error')) writeStderr(`[${level}] ${scope}: ${message}\n`);
    },
    get dropped() {
      return sink.droppedCount;
    },
    get attempts() {
      return sink.attempts;
    },
  };
}
