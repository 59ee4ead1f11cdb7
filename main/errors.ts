import type { ApiError } from '../preload/api';

/**
 * The one error type the core throws on purpose: a stable `code` for programs, a message that
 * names the file / field / value at fault, and a `hint` saying what the user can do about it.
 */
export class WorkbenchError extends Error {
  readonly code: string;
  readonly hint?: string;

  constructor(code: string, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkbenchError';
    this.code = code;
    this.hint = hint;
  }

  toJSON(): ApiError {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

/** Turn anything thrown into the wire shape; unexpected errors keep their message, code INTERNAL. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof WorkbenchError) return err.toJSON();
  if (err && typeof err === 'object' && 'code' in err && 'message' in err && typeof (err as ApiError).code === 'string' && (err as { name?: string }).name === 'WorkbenchError') {
    const e = err as ApiError;
    return e.hint === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, hint: e.hint };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message, hint: 'This is a bug in SAE Workbench; the job log has the details.' };
}
