import type { ApiError, EngineExecutionProvider, RemoteJobInfo } from '../../preload/api';
import type { NodePlacement } from '../engine/nodePlacement';
import type { StopReason } from './kind';

/** Messages from the core to a job worker. */
export type HostToWorker =
  | {
      type: 'start';
      job: { id: string; kind: string; params: unknown; checkpoint: unknown; home: string; runDir: string; target?: string | null; remote?: RemoteJobInfo | null };
      /** A job on a cluster that is already submitted there (the app restarted): follow it, submit nothing. */
      attach?: boolean;
    }
  | { type: 'stop'; reason: StopReason }
  /** `error`: the checkpoint could not be saved (a full disk); the worker's saveCheckpoint rejects with it. */
  | { type: 'checkpoint-saved'; seq: number; error?: ApiError };

/** Messages from a job worker to the core. */
export type WorkerToHost =
  | { type: 'ready' }
  | { type: 'progress'; fraction: number | null; message?: string; detail?: unknown }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  | { type: 'checkpoint'; seq: number; state: unknown }
  /** A model session of this job ran on an execution provider it had not used before. */
  | { type: 'execution-provider'; ep: EngineExecutionProvider }
  /** Where a job on a cluster stands there (its Slurm job id, state, reason, node): recorded on the job. */
  | { type: 'remote'; info: RemoteJobInfo }
  /** Where a GPU session's nodes ran (its first run, profiled): see engine/nodePlacement.ts. */
  | { type: 'node-placement'; placement: NodePlacement }
  | { type: 'done'; result: unknown }
  | { type: 'stopped'; reason: StopReason }
  | { type: 'failed'; error: ApiError };
