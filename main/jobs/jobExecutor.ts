import type { WorkerHandle } from './workerHost';

/**
 * Runs jobs whose target is not this machine (a Slurm cluster, main/cluster/). The scheduler
 * treats what it returns as it treats a worker process: it sends 'start' (with the job's target,
 * its remote state and whether to attach to a job already submitted) and 'stop', and receives the
 * same progress, log and outcome messages, plus 'remote' (where the job stands there). `kill()`
 * stops following and leaves the remote job running: the next core attaches to it again.
 */
export interface JobExecutor {
  /** Throws a WorkbenchError for a target it does not know, before the job is queued. */
  checkTarget(target: string, kind: string): void;
  open(jobId: string): WorkerHandle;
}
