/**
 * Entry point of a job worker process (child_process.fork in Node, utilityProcess in Electron):
 * the generic worker loop of main/jobs/worker.ts, given the app's table of job kinds.
 */
import { jobKinds } from './jobKinds';
import { electronParentPort, nodeParentPort, runWorker } from './jobs/worker';

runWorker(electronParentPort() ?? nodeParentPort(), jobKinds);
