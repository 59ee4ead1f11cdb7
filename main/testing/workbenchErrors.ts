import { expect } from 'vitest';
import { WorkbenchError } from '../errors';

/** Run `fn`, assert it throws a WorkbenchError (not a crash of any other kind), and return it. */
export function errorOf(fn: () => unknown): WorkbenchError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkbenchError);
    return err as WorkbenchError;
  }
  throw new Error('expected a WorkbenchError');
}

/** The async form of errorOf: await `fn`, assert it rejects with a WorkbenchError, and return it. */
export async function asyncErrorOf(fn: () => Promise<unknown>): Promise<WorkbenchError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkbenchError);
    return err as WorkbenchError;
  }
  throw new Error('expected a WorkbenchError');
}
