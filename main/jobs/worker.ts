/**
 * The job worker loop (started by main/workerMain.ts in a child_process or utilityProcess). It
 * runs exactly one job, reports through the parent channel, and exits. If the parent goes away
 * the worker exits too, so a killed core never leaves orphans burning the GPU.
 */
import fs from 'node:fs';
import type { ApiError } from '../../preload/api';
import { internalErrorFields, toApiError, WorkbenchError } from '../errors';
import { createFileLogger } from '../log';
import { finiteCheckCacheDir, useFiniteCheckCache } from '../formats/finiteValues';
import { onNodePlacement, onSessionProvider } from '../engine/sessionProviders';
import { JobStopped, type JobContext, type StopReason } from './kind';
import type { HostToWorker, WorkerToHost } from './protocol';
import type { JobKindTable } from './registry';

/** The worker's side of the channel to the core; message types default to the job protocol. */
export interface ParentPort<In = HostToWorker, Out = WorkerToHost> {
  send(message: Out): void;
  on(listener: (message: In) => void): void;
  onDisconnect(listener: () => void): void;
  /** Resolves once every message sent so far has left this process (before exiting). */
  flush(): Promise<void>;
  /** When a message last left this process (or was handed over): a queue that drains is not stuck. */
  lastProgressAt(): number;
}

export function nodeParentPort<In = HostToWorker, Out = WorkerToHost>(): ParentPort<In, Out> {
  let unsent = 0;
  let drained: (() => void)[] = [];
  let progressAt = Date.now();
  const sent = () => {
    progressAt = Date.now();
    if (--unsent === 0) drained.splice(0).forEach((d) => d());
  };
  return {
    send: (m) => {
      if (!process.send || !process.connected) return;
      unsent++;
      try {
        process.send(m, undefined, {}, sent);
      } catch (err) {
        // A message send refuses (not serialisable) is not pending: flush must not wait for it.
        sent();
        throw err;
      }
    },
    on: (listener) => process.on('message', (m) => listener(m as In)),
    onDisconnect: (listener) => process.on('disconnect', listener),
    flush: () => (unsent === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = [...drained, resolve]))),
    lastProgressAt: () => progressAt,
  };
}

/** Electron's utilityProcess exposes process.parentPort instead of process.send. */
export function electronParentPort<In = HostToWorker, Out = WorkerToHost>(): ParentPort<In, Out> | null {
  const port = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (ev: { data: unknown }) => void): void } }).parentPort;
  if (!port) return null;
  return {
    send: (m) => port.postMessage(m),
    on: (listener) => port.on('message', (ev) => listener(ev.data as In)),
    onDisconnect: () => {},
    // postMessage hands the message over synchronously.
    flush: () => Promise.resolve(),
    lastProgressAt: () => Date.now(),
  };
}

/** How long the final messages may stand still before a worker exits without them. */
const EXIT_STALL_MS = 10_000;

export function runWorker(port: ParentPort, kinds: JobKindTable): void {
  const controller = new AbortController();
  let stopReason: StopReason | null = null;
  let checkpointSeq = 0;
  const pendingCheckpoints = new Map<number, (error?: ApiError) => void>();

  port.onDisconnect(() => process.exit(1));
  port.on(async (message) => {
    if (message.type === 'stop') {
      stopReason ??= message.reason;
      controller.abort(message.reason);
      return;
    }
    if (message.type === 'checkpoint-saved') {
      pendingCheckpoints.get(message.seq)?.(message.error);
      pendingCheckpoints.delete(message.seq);
      return;
    }
    const { job } = message;
    const ctx: JobContext = {
      jobId: job.id,
      home: job.home,
      runDir: job.runDir,
      checkpoint: job.checkpoint,
      signal: controller.signal,
      stopReason: () => stopReason,
      throwIfStopped() {
        if (stopReason) throw new JobStopped(stopReason);
      },
      progress: (fraction, msg, detail) => port.send({ type: 'progress', fraction, message: msg, detail }),
      log: (level, msg) => port.send({ type: 'log', level, message: msg }),
      saveCheckpoint(state) {
        const seq = ++checkpointSeq;
        return new Promise<void>((resolve, reject) => {
          pendingCheckpoints.set(seq, (error) => (error ? reject(WorkbenchError.fromApiError(error)) : resolve()));
          port.send({ type: 'checkpoint', seq, state });
        });
      },
    };
    useFiniteCheckCache(finiteCheckCacheDir(job.home));
    // What ran, not what was asked for: the Queue shows the EP each model session landed on.
    onSessionProvider((ep) => port.send({ type: 'execution-provider', ep }));
    onNodePlacement((placement) => port.send({ type: 'node-placement', placement }));
    try {
      const kind = kinds.find(job.kind);
      fs.mkdirSync(job.runDir, { recursive: true });
      const params = kind.params.parse(job.params);
      const result = await kind.run(ctx, params);
      port.send({ type: 'done', result: result ?? null });
    } catch (err) {
      if (err instanceof JobStopped || (stopReason && controller.signal.aborted)) {
        port.send({ type: 'stopped', reason: err instanceof JobStopped ? err.reason : stopReason! });
      } else {
        const error = toApiError(err, (errorId, e) => createFileLogger(job.home).log('error', 'job', `job ${job.id} (${job.kind}) failed`, internalErrorFields(errorId, e)));
        port.send({ type: 'failed', error });
      }
    }
    // Exit once the final message is out. A long queue of messages (a 200,000-path job's) drains
    // for as long as it takes; only a channel where nothing has moved for 10 s is given up on.
    setInterval(() => {
      if (Date.now() - port.lastProgressAt() > EXIT_STALL_MS) process.exit(0);
    }, 1000).unref();
    await port.flush();
    process.exit(0);
  });
  port.send({ type: 'ready' });
}
