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
