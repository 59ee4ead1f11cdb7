/**
 * Entry point of worker processes (child_process.fork in Node, utilityProcess in Electron): the
 * generic job loop of main/jobs/worker.ts given the app's table of job kinds, or, started with
 * INTERACTIVE_WORKER_ARG, the persistent interactive worker given the interactive requests.
 */
import { runInteractiveWorker } from './interactive/interactiveLoop';
import type { HostToInteractive, InteractiveToHost } from './interactive/protocol';
import { interactiveRequests } from './interactiveRequests';
import { jobKinds } from './jobKinds';
import { electronParentPort, nodeParentPort, runWorker } from './jobs/worker';
import { INTERACTIVE_WORKER_ARG } from './jobs/workerHost';

if (process.argv.includes(INTERACTIVE_WORKER_ARG)) {
  runInteractiveWorker(electronParentPort<HostToInteractive, InteractiveToHost>() ?? nodeParentPort<HostToInteractive, InteractiveToHost>(), interactiveRequests);
} else {
  runWorker(electronParentPort() ?? nodeParentPort(), jobKinds);
}
