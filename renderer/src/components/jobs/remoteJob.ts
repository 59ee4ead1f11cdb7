import type { JobView } from '../../../../preload/api';

/**
 * Where a job on a cluster stands, in the Queue's words: "on hpc · Slurm 1234 PENDING (Priority)",
 * "on hpc · Slurm 1234 RUNNING on node07". null for a job that runs on this machine.
 */
export function remoteJobText(j: Pick<JobView, 'target' | 'remote' | 'state'>): string | null {
  if (!j.target) return null;
  const r = j.remote;
  if (!r?.slurmJobId) return `on ${j.target} · ${j.state === 'queued' ? 'not submitted yet' : 'submitting'}`;
  const state = r.slurmState ?? 'SUBMITTED';
  const why = r.reason && state === 'PENDING' ? ` (${r.reason})` : '';
  const node = r.node && (state === 'RUNNING' || state === 'COMPLETING') ? ` on ${r.node}` : '';
  const parts = r.arrayJobId ? ` · ${r.parts} parts: array ${r.arrayJobId}` : '';
  return `on ${j.target} · Slurm ${r.slurmJobId} ${state}${why}${node}${parts}`;
}

/** The job detail's rows for a job on a cluster. */
export function remoteJobRows(j: JobView): [string, string | undefined][] {
  if (!j.target) return [];
  const r = j.remote;
  return [
    ['runs on', `cluster “${j.target}” (Slurm)`],
    ['Slurm job', r?.slurmJobId ?? (j.state === 'queued' ? 'not submitted yet' : 'submitting')],
    ['Slurm state', r?.slurmState ? `${r.slurmState}${r.reason ? ` (${r.reason})` : ''}` : undefined],
    ['node', r?.node ?? undefined],
    ['parts', r?.arrayJobId ? `${r.parts} (Slurm array job ${r.arrayJobId}; the job above joins them once all are done)` : undefined],
    ['job folder', r?.jobDir],
    ['earlier submissions', r && r.previousSlurmJobIds.length ? r.previousSlurmJobIds.join(', ') : undefined],
    ['TIMEOUT resubmits', r && r.resubmits ? String(r.resubmits) : undefined],
  ];
}

const WAITING = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'CONFIGURING', 'SUSPENDED']);

/**
 * The state badge: a job on a cluster that Slurm still holds back is "pending" there, not
 * "running" (the app's queue counts it as started once it is submitted).
 */
export function shownState(j: Pick<JobView, 'state' | 'target' | 'remote'>): { label: string; className: string } {
  if (j.target && j.state === 'running' && (!j.remote?.slurmJobId || WAITING.has(j.remote.slurmState ?? ''))) return { label: 'pending', className: 'state state-queued' };
  return { label: j.state, className: `state state-${j.state}` };
}
