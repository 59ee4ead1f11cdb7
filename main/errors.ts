import { randomBytes } from 'node:crypto';
import type { ApiError } from '../preload/api';

/**
 * The one error type the core throws on purpose: a stable `code` for programs, a message that
 * names the file / field / value at fault, and a `hint` saying what the user can do about it.
 */
export class WorkbenchError extends Error {
  readonly code: string;
  readonly hint?: string;
  /** Carried over when an INTERNAL error crosses from a worker process: where the log has it. */
  readonly errorId?: string;

  constructor(code: string, message: string, hint?: string, options?: { cause?: unknown; errorId?: string }) {
    super(message, options);
    this.name = 'WorkbenchError';
    this.code = code;
    this.hint = hint;
    this.errorId = options?.errorId;
  }

  /** The wire shape back as an error (a worker's answer rethrown in the core). */
  static fromApiError(e: ApiError): WorkbenchError {
    return new WorkbenchError(e.code, e.message, e.hint, { errorId: e.errorId });
  }

  toJSON(): ApiError {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.errorId === undefined ? {} : { errorId: this.errorId }),
    };
  }
}

/**
 * Where the details of an unexpected error go (the core log): its stack and message may hold
 * absolute paths and internals, so the client only sees the error id that finds them there.
 */
export type InternalErrorReporter = (errorId: string, err: unknown) => void;

/**
 * Turn anything thrown into the wire shape. WorkbenchErrors and known system failures keep their
 * message (written for the user); anything else is a bug: code INTERNAL, a generic message and an
 * error id, with the details handed to `report` for the log.
 */
export function toApiError(err: unknown, report?: InternalErrorReporter): ApiError {
  if (err instanceof WorkbenchError) return err.toJSON();
  if (err && typeof err === 'object' && 'code' in err && 'message' in err && typeof (err as ApiError).code === 'string' && (err as { name?: string }).name === 'WorkbenchError') {
    const e = err as ApiError;
    return e.hint === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, hint: e.hint };
  }
  const known = describeSystemError(err);
  if (known) return known.toJSON();
  return internalError(err, report);
}

/** The client's view of a bug: what kind of error, and the id under which the log has the rest. */
export function internalError(err: unknown, report?: InternalErrorReporter): ApiError {
  const errorId = randomBytes(6).toString('hex');
  report?.(errorId, err);
  const kind = err instanceof Error && /^[A-Za-z]+$/.test(err.name) ? err.name : 'error';
  return {
    code: 'INTERNAL',
    message: `An unexpected ${kind} occurred (error id ${errorId}).`,
    hint: `This is a bug in SAE Workbench. The core log (logs/core.log in the data directory) has the details under error id ${errorId}.`,
    errorId,
  };
}

/** The log record of an unexpected error: everything the client was not shown. */
export function internalErrorFields(errorId: string, err: unknown): Record<string, unknown> {
  return { errorId, error: err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err) };
}

/**
 * Failures of the machine rather than of our code (disk full, locked database, permissions):
 * give them a code and a hint instead of calling them bugs.
 */
export function describeSystemError(err: unknown): WorkbenchError | null {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  const where = (err as { path?: string }).path ? ` (${(err as { path?: string }).path})` : '';
  switch (code) {
    case 'ENOSPC':
    case 'SQLITE_FULL':
    case 'EDQUOT':
      return new WorkbenchError('DISK_FULL', `The disk is full${where}: ${message}`, 'Free some space (old runs/ or unused HF cache entries) and retry; finished results were kept.', { cause: err });
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new WorkbenchError('DB_LOCKED', `The database is locked by another process: ${message}`, 'Another program holds a write lock on workbench.sqlite; close it and retry.', { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new WorkbenchError('PERMISSION_DENIED', `Permission denied${where}: ${message}`, 'Fix the permissions of that path or choose another location.', { cause: err });
    default:
      return null;
  }
}
