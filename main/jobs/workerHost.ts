import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostToWorker, WorkerToHost } from './protocol';

/**
 * One running worker process, whatever started it (Node's child_process or Electron's
 * utilityProcess). The scheduler only ever sees this interface.
 */
export interface WorkerHandle {
  readonly pid: number | undefined;
  send(message: HostToWorker): void;
  onMessage(listener: (message: WorkerToHost) => void): void;
  /** Called once, when the process has exited for any reason. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export interface WorkerSpawner {
  spawn(jobId: string): WorkerHandle;
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Plain Node front doors (CLI, browser mode, tests): the worker is a TypeScript entry run by tsx. */
export class NodeWorkerSpawner implements WorkerSpawner {
  /** `entry`: the worker entry file (main/workerMain.ts, which hands the worker the job kinds). */
  constructor(
    private readonly entry: string,
    private readonly execArgv = ['--import', 'tsx'],
  ) {}

  spawn(jobId: string): WorkerHandle {
    const child = fork(this.entry, [jobId], {
      cwd: projectRoot,
      execArgv: this.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, SAE_WORKBENCH_WORKER: '1' },
    });
    return childProcessHandle(child);
  }
}

export function childProcessHandle(child: ChildProcess): WorkerHandle {
  child.on('error', () => {
    // EPIPE on a dying worker's channel; its exit is reported through onExit.
  });
  return {
    pid: child.pid,
    send(message) {
      // A worker may be exiting while we tell it to stop: a closed channel is not an error here.
      if (child.connected) child.send(message, () => {});
    },
    onMessage(listener) {
      child.on('message', (m) => listener(m as WorkerToHost));
    },
    onExit(listener) {
      child.once('exit', (code, signal) => listener(code, signal));
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
