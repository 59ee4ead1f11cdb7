import fs from 'node:fs';
import path from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One structured logger for the core: JSON lines in <home>/logs/core.log; warnings also on stderr. */
export interface Logger {
  log(level: LogLevel, scope: string, message: string, fields?: Record<string, unknown>): void;
}

const MAX_BYTES = 10 << 20;

export function createFileLogger(home: string, options: { echo?: boolean } = {}): Logger {
  const dir = path.join(home, 'logs');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'core.log');
  // Keep one previous generation: enough to read what happened before a crash, bounded on disk.
  try {
    if (fs.statSync(file).size > MAX_BYTES) fs.renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
  return {
    log(level, scope, message, fields) {
      const line = JSON.stringify({ ts: new Date().toISOString(), level, scope, message, ...fields });
      try {
        fs.appendFileSync(file, line + '\n');
      } catch {
        // Logging must never take the app down (e.g. disk full).
      }
      if (options.echo !== false && (level === 'warn' || level === 'error')) process.stderr.write(`[${level}] ${scope}: ${message}\n`);
    },
  };
}
