import { z } from 'zod';

/**
 * A method of the contract: a zod schema for its params (validated on the core side for every
 * call) and a result type carried only at compile time (results come from our own core).
 */
export interface MethodSpec<P extends z.ZodType, R> {
  params: P;
  /** Phantom field: never set at runtime, only carries the result type. */
  readonly __result?: R;
}

export function method<R>() {
  return <P extends z.ZodType>(params: P): MethodSpec<P, R> => ({ params });
}

/** Errors crossing the contract: a stable code, a human message, and what to do about it. */
export const ApiErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;
