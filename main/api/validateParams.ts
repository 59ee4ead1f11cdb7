import { contract, isMethodName, type Contract, type MethodName } from '../../preload/api';
import type { z } from 'zod';
import { WorkbenchError } from '../errors';

/**
 * Check a call against the contract: the one validation every front door applies (the API
 * transports through Core.call, the CLI where it builds the same requests), with one wording.
 */
export function validateApiParams<M extends MethodName>(method: M, params: unknown): z.output<Contract[M]['params']>;
export function validateApiParams(method: string, params: unknown): unknown;
export function validateApiParams(method: string, params: unknown): unknown {
  if (!isMethodName(method)) throw new WorkbenchError('UNKNOWN_METHOD', `There is no API method "${method}".`);
  const parsed = contract[method].params.safeParse(params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WorkbenchError('INVALID_PARAMS', `Invalid parameters for ${method}: ${issue?.path.join('.') || '(params)'}: ${issue?.message}.`);
  }
  return parsed.data;
}
