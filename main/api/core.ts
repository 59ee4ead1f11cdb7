import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contract, isMethodName, type AppInfo, type EventName, type WireResult } from '../../preload/api';
import { openDatabase } from '../db/connection';
import { WorkbenchError, toApiError } from '../errors';
import { prepareHome } from '../home';
import { acquireHomeLock } from '../lock';
import { createFileLogger } from '../log';
import { JobScheduler } from '../jobs/scheduler';
import { JobStore } from '../jobs/store';
import { jobKinds } from '../jobKinds';
import { NodeWorkerSpawner, type WorkerSpawner } from '../jobs/workerHost';
import { appHandlers } from './appHandlers';
import { EventBus } from './eventBus';
import type { Handler, HandlerTable } from './handlers';
import { jobsHandlers, readCpuConcurrency } from './jobsHandlers';
import { libraryHandlers, watchLibrary } from './libraryHandlers';
import { hubHandlers, watchHubDownloads } from './hubHandlers';
import { promptHandlers } from './promptHandlers';
import { engineHandlers } from './engineHandlers';
import { indexHandlers } from './indexHandlers';
import { compareHandlers } from './compareHandlers';
import { experimentsHandlers } from './experimentsHandlers';
import { trainHandlers, watchTraining } from './trainHandlers';
import type { CoreServices } from './services';

/** The TypeScript worker entry for plain-Node front doors (Electron runs the built worker.js). */
const workerEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../workerMain.ts');

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface CoreOptions {
  home: string;
  frontDoor: AppInfo['frontDoor'];
  spawner?: WorkerSpawner;
}

/** The Electron-free core: one per process, shared by whichever front door started it. */
export interface Core {
  readonly home: string;
  /** Validate and run one API call. Never throws: errors come back as `{ ok: false }`. */
  call(method: string, params: unknown): Promise<WireResult>;
  subscribe(listener: (event: EventName, payload: unknown) => void): () => void;
  close(): Promise<void>;
}

const handlers: HandlerTable = {
  'app.info': (_p, s) => ({ version, home: s.home, frontDoor: s.frontDoor, node: process.versions.node, platform: `${process.platform}-${process.arch}` }),
  ...appHandlers,
  ...jobsHandlers,
  ...libraryHandlers,
  ...hubHandlers,
  ...promptHandlers,
  ...engineHandlers,
  ...indexHandlers,
  ...compareHandlers,
  ...experimentsHandlers,
  ...trainHandlers,
};

export function createCore(options: CoreOptions): Core {
  prepareHome(options.home);
  const releaseLock = acquireHomeLock(options.home);
  let db: ReturnType<typeof openDatabase>;
  try {
    db = openDatabase(options.home);
  } catch (err) {
    releaseLock();
    throw err;
  }
  const log = createFileLogger(options.home, { echo: options.frontDoor !== 'test' });
  log.log('info', 'core', 'started', { frontDoor: options.frontDoor, version, pid: process.pid });
  const events = new EventBus();
  const jobStore = new JobStore(db, (kind) => jobKinds.isPausable(kind));
  const jobs = new JobScheduler(
    jobStore,
    jobKinds,
    options.spawner ?? new NodeWorkerSpawner(workerEntry),
    options.home,
    {
      jobUpdated: (job) => events.emit('job.updated', job),
      jobRemoved: (id) => events.emit('job.removed', { id }),
      jobLog: (line) => events.emit('job.log', line),
    },
    readCpuConcurrency(db),
  );
  const services: CoreServices = { home: options.home, db, events, jobs, jobStore, frontDoor: options.frontDoor, log };
  watchLibrary(services);
  watchHubDownloads(services);
  watchTraining(services);
  jobs.recoverAfterRestart();
  let closed = false;

  return {
    home: options.home,
    async call(method, params) {
      try {
        if (closed) throw new WorkbenchError('CORE_CLOSED', 'The app is shutting down.');
        if (!isMethodName(method)) throw new WorkbenchError('UNKNOWN_METHOD', `There is no API method "${method}".`);
        const parsed = contract[method].params.safeParse(params ?? {});
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new WorkbenchError('INVALID_PARAMS', `Invalid parameters for ${method}: ${issue?.path.join('.') || '(params)'}: ${issue?.message}.`);
        }
        const handler = handlers[method] as Handler<typeof method>;
        const result = await handler(parsed.data as never, services);
        return { ok: true, result };
      } catch (err) {
        const error = toApiError(err);
        if (error.code === 'INTERNAL') log.log('error', 'api', `${method} failed`, { error: (err as Error)?.stack ?? String(err) });
        return { ok: false, error };
      }
    },
    subscribe: (listener) => events.subscribe(listener),
    async close() {
      if (closed) return;
      closed = true;
      await jobs.shutdown();
      db.close();
      releaseLock();
    },
  };
}
