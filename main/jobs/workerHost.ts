import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostToWorker, WorkerToHost } from './protocol';

/**
 * One running worker process, whatever started it (Node's child_process or Electron's
 * utilityProcess). The scheduler (and the interactive worker's host) only ever see this
 * interface; the message types default to the job protocol.
 */
export interface WorkerHandle<Out = HostToWorker, In = WorkerToHost> {
  readonly pid: number | undefined;
  send(message: Out): void;
  onMessage(listener: (message: In) => void): void;
  /** Called once, when the process has exited for any reason. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export interface WorkerSpawner {
  /**
   * Start the worker entry (main/workerMain.ts) with `arg` as its argument: a job id, or
   * INTERACTIVE_WORKER_ARG for the persistent interactive worker.
   */
  spawn<Out = HostToWorker, In = WorkerToHost>(arg: string): WorkerHandle<Out, In>;
}

/** The argument that makes the worker entry serve interactive requests instead of one job. */
export const INTERACTIVE_WORKER_ARG = '--interactive';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Plain Node front doors (CLI, browser mode, tests): the worker is a TypeScript entry run by tsx. */
export class NodeWorkerSpawner implements WorkerSpawner {
  /** `entry`: the worker entry file (main/workerMain.ts, which hands the worker the job kinds). */
  constructor(
    private readonly entry: string,
    private readonly execArgv = ['--import', 'tsx'],
  ) {}

  spawn<Out = HostToWorker, In = WorkerToHost>(arg: string): WorkerHandle<Out, In> {
    const child = fork(this.entry, [arg], {
      cwd: projectRoot,
      execArgv: this.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, SAE_WORKBENCH_WORKER: '1' },
    });
    return childProcessHandle<Out, In>(child);
  }
}

export function childProcessHandle<Out = HostToWorker, In = WorkerToHost>(child: ChildProcess): WorkerHandle<Out, In> {
  child.on('error', () => {
    // EPIPE on a dying worker's channel; its exit is reported through onExit.
  });
  return {
    pid: child.pid,
    send(message) {
      // A worker may be exiting while we tell it to stop: a closed channel is not an error here.
      if (child.connected) child.send(message as Parameters<ChildProcess['send']>[0], () => {});
    },
    onMessage(listener) {
      child.on('message', (m) => listener(m as In));
    },
    onExit(listener) {
      child.once('exit', (code, signal) => listener(code, signal));
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
