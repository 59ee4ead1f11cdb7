import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JobView } from '../../preload/api';
import { openDatabase } from '../db/connection';
import { prepareHome } from '../home';
import { makeTempDir } from '../testing/tempDirs';
import { defineJobKind } from './kind';
import type { HostToWorker, WorkerToHost } from './protocol';
import { JobKindTable } from './registry';
import { JobScheduler } from './scheduler';
import { JobStore } from './store';
import type { WorkerHandle, WorkerSpawner } from './workerHost';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).reverse().forEach((c) => c()));

/** A worker stand-in the test speaks for: the scheduler's own progress bookkeeping is under test. */
class ScriptedWorker implements WorkerSpawner {
  say: (m: WorkerToHost) => void = () => {};
  exit: () => void = () => {};
  spawn<Out, In>(): WorkerHandle<Out, In> {
    const handle: WorkerHandle<HostToWorker, WorkerToHost> = {
      pid: 1,
      send: () => {},
      onMessage: (l) => (this.say = l),
      onExit: (l) => (this.exit = () => l(0, null)),
      kill: () => this.exit(),
    };
    return handle as unknown as WorkerHandle<Out, In>;
  }
}

const noop = defineJobKind({ kind: 'test.noop', description: 'x', params: z.object({}), title: () => 'noop', resource: 'cpu', pausable: false, run: async () => null });

describe('progress writes', () => {
  it('hold reports back to one write per interval but never lose the newest: written when the interval ends, or with the outcome', async () => {
    const home = makeTempDir('progress');
    cleanups.push(home.cleanup);
    prepareHome(home.dir);
    const db = openDatabase(home.dir);
    cleanups.push(() => db.close());
    const store = new JobStore(db, () => false);
    const worker = new ScriptedWorker();
    const updates: JobView[] = [];
    const scheduler = new JobScheduler(store, new JobKindTable([noop]), worker, home.dir, { jobUpdated: (j) => updates.push(j), jobRemoved: () => {}, jobLog: () => {} }, 1);
    const job = scheduler.add('test.noop', {});
    const detailOf = () => store.view(job.id)!.progressDetail;
    worker.say({ type: 'progress', fraction: 0.1, detail: { tokens: 1 } });
    worker.say({ type: 'progress', fraction: 0.2, detail: { tokens: 2 } });
    worker.say({ type: 'progress', fraction: 0.3, detail: { tokens: 3 } });
    expect(detailOf()).toEqual({ tokens: 1 });
    await new Promise((r) => setTimeout(r, 400));
    // The newest held-back report was written when the interval ended.
    expect(detailOf()).toEqual({ tokens: 3 });
    expect(updates.at(-1)?.progressDetail).toEqual({ tokens: 3 });
    worker.say({ type: 'progress', fraction: 0.9, detail: { tokens: 9 } });
    worker.say({ type: 'progress', fraction: 1, detail: { tokens: 10 } });
    worker.say({ type: 'done', result: { ok: true } });
    worker.exit();
    const done = store.view(job.id)!;
    expect(done.state).toBe('completed');
    expect(done.progressDetail).toEqual({ tokens: 10 });
    await scheduler.shutdown();
  });
});
