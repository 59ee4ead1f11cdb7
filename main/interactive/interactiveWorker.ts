import { WorkbenchError } from '../errors';
import { INTERACTIVE_WORKER_ARG, type WorkerHandle, type WorkerSpawner } from '../jobs/workerHost';
import type { Logger } from '../log';
import type { HostToInteractive, InteractiveRequestTable, InteractiveToHost } from './protocol';

type Handle = WorkerHandle<HostToInteractive, InteractiveToHost>;

interface Pending {
  handle: Handle;
  method: string;
  timeoutMs: number;
  resolve(result: unknown): void;
  reject(err: Error): void;
  /** Set once the worker says it started the request. */
  timer: NodeJS.Timeout | null;
}

/**
 * The core's side of the interactive worker: one persistent process, started on the first
 * request, that runs interactive requests (main/interactiveRequests.ts) so the core's event loop
 * only ever waits on a message. A request that outlives its timeout gets the worker killed; a
 * worker that dies (a native crash, out of memory) fails the requests it held, and the next
 * request starts a fresh one. Other clients are served meanwhile.
 */
export class InteractiveWorker {
  private handle: Handle | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly spawner: WorkerSpawner,
    private readonly home: string,
    private readonly requests: InteractiveRequestTable,
    private readonly log: Logger,
  ) {}

  request<R>(method: string, params: unknown): Promise<R> {
    if (this.closed) return Promise.reject(new WorkbenchError('CORE_CLOSED', 'The app is shutting down.'));
    const handle = this.ensureWorker();
    const timeoutMs = this.requests[method]?.timeoutMs ?? 60_000;
    return new Promise<R>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { handle, method, timeoutMs, resolve: resolve as (r: unknown) => void, reject, timer: null });
      handle.send({ type: 'request', id, method, params });
    });
  }

  /** The request's clock starts when the worker begins it (it may have waited behind a synchronous one). */
  private started(id: number): void {
    const p = this.pending.get(id);
    if (!p || p.timer) return;
    p.timer = setTimeout(() => {
      const others = [...this.pending.values()].filter((o) => o !== p && o.handle === p.handle).length;
      this.settle(id, new WorkbenchError('WORKER_TIMEOUT', `${p.method} did not finish within ${Math.round(p.timeoutMs / 1000)} s; it was stopped.`, `Try a smaller input. The worker was restarted${others ? `, so ${others} other request(s) it was running failed too` : ''}; the next request starts a fresh one.`));
      this.log.log('warn', 'interactive', `${p.method} timed out after ${p.timeoutMs} ms; restarting the interactive worker`);
      // New requests go to a fresh worker at once, not to the one being killed.
      if (this.handle === p.handle) this.handle = null;
      p.handle.kill();
    }, p.timeoutMs);
  }

  /** Stop the worker; requests still in flight fail with CORE_CLOSED. */
  close(): void {
    this.closed = true;
    for (const id of [...this.pending.keys()]) this.settle(id, new WorkbenchError('CORE_CLOSED', 'The app is shutting down.'));
    this.handle?.kill();
    this.handle = null;
  }

  private settle(id: number, outcome: Error | { result: unknown }): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome.result);
  }

  private ensureWorker(): Handle {
    if (this.handle) return this.handle;
    const handle = this.spawner.spawn<HostToInteractive, InteractiveToHost>(INTERACTIVE_WORKER_ARG);
    this.handle = handle;
    handle.send({ type: 'init', home: this.home });
    handle.onMessage((m) => {
      if (m.type === 'started') return this.started(m.id);
      if (m.type !== 'response') return;
      this.settle(m.id, m.ok ? { result: m.result } : WorkbenchError.fromApiError(m.error));
    });
    handle.onExit((code, signal) => {
      if (this.handle === handle) this.handle = null;
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      for (const [id, p] of this.pending) {
        if (p.handle !== handle) continue;
        this.log.log('error', 'interactive', `the interactive worker died (${how}) while running ${p.method}`);
        this.settle(id, new WorkbenchError('WORKER_CRASHED', `The worker running ${p.method} stopped (${how}).`, 'Try again: the next request starts a fresh worker. If it keeps happening, the model may need more memory than this machine has.'));
      }
    });
    return handle;
  }
}
