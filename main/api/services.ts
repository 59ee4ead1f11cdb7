import type { AppInfo } from '../../preload/api';
import type { Db } from '../db/connection';
import type { InteractiveWorker } from '../interactive/interactiveWorker';
import type { JobScheduler } from '../jobs/scheduler';
import type { JobStore } from '../jobs/store';
import type { Logger } from '../log';
import type { EventBus } from './eventBus';

/** What request handlers may use. Built once per core; workers build their own. */
export interface CoreServices {
  home: string;
  db: Db;
  events: EventBus;
  jobs: JobScheduler;
  jobStore: JobStore;
  frontDoor: AppInfo['frontDoor'];
  log: Logger;
  /** The persistent worker for interactive requests (main/interactiveRequests.ts). */
  interactive: InteractiveWorker;
}
