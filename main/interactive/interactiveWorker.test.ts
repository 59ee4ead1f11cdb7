import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PromptRunResult } from '../../preload/api';
import { createCore } from '../api/core';
import type { WorkerHandle, WorkerSpawner } from '../jobs/workerHost';
import type { Logger } from '../log';
import { call } from '../testing/coreCalls';
import { damageFile, writeLoaderFixture } from '../testing/loaderAbuse';
import { makeTempDir } from '../testing/tempDirs';
import { InteractiveWorker } from './interactiveWorker';
import type { HostToInteractive, InteractiveToHost } from './protocol';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const quietLog: Logger = { log: () => {} };

/** A worker process stand-in for the host's own logic: it answers when told to, or dies. */
class ScriptedSpawner implements WorkerSpawner {
  readonly spawned: { sent: HostToInteractive[]; killed: boolean; reply(m: InteractiveToHost): void; exit(signal: string): void }[] = [];
  spawn<Out, In>(): WorkerHandle<Out, In> {
    let onMessage: (m: InteractiveToHost) => void = () => {};
    let onExit: (code: number | null, signal: string | null) => void = () => {};
    const worker = { sent: [] as HostToInteractive[], killed: false, reply: (m: InteractiveToHost) => onMessage(m), exit: (signal: string) => onExit(null, signal) };
    this.spawned.push(worker);
    const handle: WorkerHandle<HostToInteractive, InteractiveToHost> = {
      pid: 1000 + this.spawned.length,
      send: (m) => worker.sent.push(m),
      onMessage: (l) => (onMessage = l),
      onExit: (l) => (onExit = l),
      kill: () => {
        worker.killed = true;
        onExit(null, 'SIGKILL');
      },
    };
    return handle as unknown as WorkerHandle<Out, In>;
  }
}

describe('the interactive worker host', () => {
  it('answers requests, kills a worker that overruns its timeout, fails what a dying worker held, and starts a fresh one', async () => {
    const spawner = new ScriptedSpawner();
    const host = new InteractiveWorker(spawner, '/home/x', { fast: { timeoutMs: 1000, run: () => 0 }, slow: { timeoutMs: 50, run: () => 0 } }, quietLog);
    const first = host.request('fast', { a: 1 });
    expect(spawner.spawned[0].sent).toEqual([{ type: 'init', home: '/home/x' }, { type: 'request', id: 1, method: 'fast', params: { a: 1 } }]);
    spawner.spawned[0].reply({ type: 'response', id: 1, ok: true, result: 42 });
    expect(await first).toBe(42);
    const refused = host.request('fast', {});
    spawner.spawned[0].reply({ type: 'response', id: 2, ok: false, error: { code: 'X', message: 'no', hint: 'h', errorId: 'abc' } });
    await expect(refused).rejects.toMatchObject({ code: 'X', message: 'no', hint: 'h', errorId: 'abc' });

    // The clock runs from the worker's 'started', not from queueing behind a synchronous request.
    const queued = host.request('slow', {});
    await new Promise((r) => setTimeout(r, 120));
    const slow = host.request('slow', {});
    spawner.spawned[0].reply({ type: 'started', id: 4 });
    await expect(slow).rejects.toMatchObject({ code: 'WORKER_TIMEOUT', hint: expect.stringContaining('1 other request(s) it was running failed too') });
    await expect(queued).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(spawner.spawned[0].killed).toBe(true);

    const held = host.request('fast', {});
    expect(spawner.spawned).toHaveLength(2);
    spawner.spawned[1].exit('SIGSEGV');
    await expect(held).rejects.toMatchObject({ code: 'WORKER_CRASHED', message: expect.stringContaining('signal SIGSEGV') });
    const after = host.request('fast', {});
    expect(spawner.spawned).toHaveLength(3);
    spawner.spawned[2].reply({ type: 'response', id: 6, ok: true, result: 'again' });
    expect(await after).toBe('again');
    const pending = host.request('fast', {});
    host.close();
    await expect(pending).rejects.toMatchObject({ code: 'CORE_CLOSED' });
  });
});

function interactiveWorkerPid(): number | null {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.includes('--interactive'));
  return line ? Number(line.trim().split(/\s+/)[0]) : null;
}

describe('prompt.run in the interactive worker', () => {
  it('runs off the core: the core answers meanwhile, a killed worker fails only its request and is replaced, NaN weights are refused by name', async () => {
    const tmp = makeTempDir('interactive');
    cleanups.push(tmp.cleanup);
    const core = createCore({ home: path.join(tmp.dir, 'home'), frontDoor: 'test' });
    cleanups.push(() => core.close());
    const f = writeLoaderFixture(path.join(tmp.dir, 'fixture'));
    const request = { text: 'hello world', sides: [{ modelPath: f.model, saePath: f.sae }], device: 'cpu' as const };

    // A worker killed while it starts up: that request fails with a clear error, the core lives on.
    const doomed = core.call('prompt.run', request);
    let pid: number | null = null;
    for (let i = 0; i < 100 && pid === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
      pid = interactiveWorkerPid();
    }
    expect(pid).not.toBeNull();
    process.kill(pid!, 'SIGKILL');
    expect(await doomed).toMatchObject({ ok: false, error: { code: 'WORKER_CRASHED', message: expect.stringContaining('signal SIGKILL') } });

    // The next run starts a fresh worker; the core keeps answering while it loads and runs.
    const running = call<PromptRunResult>(core, 'prompt.run', request);
    let done = false;
    let slowest = 0;
    void running.finally(() => (done = true));
    while (!done) {
      const t = Date.now();
      await call(core, 'app.info', {});
      slowest = Math.max(slowest, Date.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
    const result = await running;
    expect(result.sides[0].tokens.length).toBeGreaterThan(1);
    expect(slowest).toBeLessThan(500);
    expect(interactiveWorkerPid()).not.toBe(pid);

    await damageFile(path.join(f.model, 'model.safetensors'), 'nan');
    const nan = await core.call('prompt.run', request);
    expect(nan).toMatchObject({ ok: false, error: { code: 'WEIGHTS_NONFINITE', message: expect.stringMatching(/model\.safetensors: tensor ".*" holds \d+ NaN value/) } });
  }, 120_000);
});
