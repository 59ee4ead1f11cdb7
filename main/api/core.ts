import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppInfo, EngineDeviceReport, EventName, MethodName, WireResult } from '../../preload/api';
import { databasePath, openDatabase } from '../db/connection';
import { damageError, isDamageError } from '../db/sqliteFile';
import { WorkbenchError, internalErrorFields, toApiError } from '../errors';
import { prepareHome } from '../home';
import { acquireHomeLock } from '../lock';
import { createFileLogger, type Logger } from '../log';
import { GpuAvailability } from '../jobs/gpuAvailability';
import { JobScheduler } from '../jobs/scheduler';
import { JobStore } from '../jobs/store';
import { jobKinds } from '../jobKinds';
import { registerIndexFiles } from '../index/indexRecovery';
import { interactiveRequests } from '../interactiveRequests';
import { InteractiveWorker } from '../interactive/interactiveWorker';
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
import { crosscoderHandlers, watchCrosscoderTraining } from './crosscoderHandlers';
import { labelHandlers } from './labelHandlers';
import { notebookHandlers } from './notebookHandlers';
import type { CoreServices } from './services';
import { validateApiParams } from './validateParams';

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
  /** The core's structured log (logs/core.log): front doors record what they refuse here. */
  readonly log: Logger;
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
  ...crosscoderHandlers,
  ...labelHandlers,
  ...notebookHandlers,
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
  const appDb = { role: 'app', file: databasePath(options.home) } as const;
  const events = new EventBus();
  const jobStore = new JobStore(db, (kind) => jobKinds.isPausable(kind));
  const spawner = options.spawner ?? new NodeWorkerSpawner(workerEntry);
  let jobs: JobScheduler | null = null;
  let interactive: InteractiveWorker | null = null;
  let services: CoreServices;
  try {
    // Index files the database does not list (it was lost and moved aside): listed again.
    const recovered = registerIndexFiles(options.home, db);
    if (recovered.registered.length + recovered.skipped.length > 0) log.log('warn', 'core', 'index files found that the database did not list', { ...recovered });
    jobs = new JobScheduler(
      jobStore,
      jobKinds,
      spawner,
      options.home,
      {
        jobUpdated: (job) => events.emit('job.updated', job),
        jobRemoved: (id) => events.emit('job.removed', { id }),
        jobLog: (line) => events.emit('job.log', line),
      },
      readCpuConcurrency(db),
      // Asked once, on the first job that wants the GPU: native EP start-up never runs in the core.
      new GpuAvailability(
        async () => (await interactive!.request<EngineDeviceReport>('engine.devices', { device: 'auto' })).running !== 'cpu',
        (err) => log.log('warn', 'jobs', 'the GPU probe failed; jobs that ask for the GPU take CPU slots', { error: String(err) }),
      ),
    );
    interactive = new InteractiveWorker(spawner, options.home, interactiveRequests, log);
    services = { home: options.home, db, events, jobs, jobStore, frontDoor: options.frontDoor, log, interactive };
    watchLibrary(services);
    watchHubDownloads(services);
    watchTraining(services);
    watchCrosscoderTraining(services);
    jobs.recoverAfterRestart();
  } catch (err) {
    // A database that opened but fails its first reads (a damaged schema): say so, leave nothing running.
    interactive?.close();
    void jobs?.shutdown();
    db.close();
    releaseLock();
    throw isDamageError(err) ? damageError(appDb, err) : err;
  }
  let closed = false;

  return {
    home: options.home,
    log,
    async call(method, params) {
      try {
        if (closed) throw new WorkbenchError('CORE_CLOSED', 'The app is shutting down.');
        const data = validateApiParams(method, params);
        const handler = handlers[method as MethodName] as Handler<MethodName>;
        const result = await handler(data as never, services);
        return { ok: true, result };
      } catch (err) {
        // Index and token-store reads map their own damage; what reaches here raw is the app database's.
        const known = isDamageError(err) ? damageError(appDb, err) : err;
        return { ok: false, error: toApiError(known, (errorId, e) => log.log('error', 'api', `${method} failed`, internalErrorFields(errorId, e))) };
      }
    },
    subscribe: (listener) => events.subscribe(listener),
    async close() {
      if (closed) return;
      closed = true;
      interactive!.close();
      await jobs!.shutdown();
      jobStore.close();
      db.close();
      releaseLock();
    },
  };
}
