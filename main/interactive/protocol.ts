import type { ApiError } from '../../preload/api';

/** Messages from the core to the interactive worker. */
export type HostToInteractive = { type: 'init'; home: string } | { type: 'request'; id: number; method: string; params: unknown };

/** Messages from the interactive worker to the core. */
export type InteractiveToHost =
  | { type: 'ready' }
  /** The worker begins the request: its timeout counts from here, not from the time it queued behind others. */
  | { type: 'started'; id: number }
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: ApiError };

/**
 * One kind of interactive request: work a user waits for (a prompt run, recognising a folder),
 * too heavy or too risky for the core's event loop (loading weights, native code), too short
 * to be a queued job. `run` executes in the interactive worker; keep heavy imports inside it.
 */
export interface InteractiveRequest {
  /** The worker is killed (and restarted on the next request) when one request takes longer. */
  timeoutMs: number;
  run(params: never, context: { home: string }): Promise<unknown> | unknown;
}

export type InteractiveRequestTable = Readonly<Record<string, InteractiveRequest>>;
