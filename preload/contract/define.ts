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
  /** Set on INTERNAL errors (bugs): the id under which the core log holds the details. */
  errorId: z.string().optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

/**
 * The largest request message a transport accepts (the WebSocket closes with 1009 above it; the
 * renderer's client refuses to send one). Every contract field is bounded far below this (paths
 * 4 KiB, prompt text 2,000 characters) except job parameters, whose largest honest use is a long
 * file list: a 200,000-path files.verify job is about 7 MB. 16 MiB fits that twice over and bounds
 * what one message may make the core buffer and parse.
 */
export const MAX_WIRE_REQUEST_BYTES = 16 * 1024 * 1024;
