import type { JobState, JobView } from '../../../../preload/api';

/**
 * How the Queue lists jobs: what runs now first (newest start first), then what waits, in the
 * order it will run (priority, then place in the queue: the order ↑/↓ change), then what
 * finished, newest first. Filters by state group and kind.
 */
export const STATE_GROUPS = {
  active: ['running', 'pausing', 'cancelling'],
  waiting: ['queued', 'paused', 'interrupted'],
  finished: ['completed', 'failed', 'cancelled'],
} as const satisfies Record<string, readonly JobState[]>;
export type StateGroup = keyof typeof STATE_GROUPS;

/** The Queue's state filter: a group, or one state. */
export const STATE_FILTERS: { value: string; label: string }[] = [
  { value: '', label: 'All states' },
  { value: 'active', label: 'Running' },
  { value: 'waiting', label: 'Waiting' },
  { value: 'finished', label: 'Finished' },
  { value: 'completed', label: 'Completed' },
  { value: 'failed', label: 'Failed' },
  { value: 'cancelled', label: 'Cancelled' },
];

export function groupOf(state: JobState): StateGroup {
  return (Object.keys(STATE_GROUPS) as StateGroup[]).find((g) => (STATE_GROUPS[g] as readonly JobState[]).includes(state))!;
}

const RANK: Record<StateGroup, number> = { active: 0, waiting: 1, finished: 2 };

export function queueOrder(jobs: readonly JobView[]): JobView[] {
  return [...jobs].sort((a, b) => {
    const ga = groupOf(a.state);
    const gb = groupOf(b.state);
    if (ga !== gb) return RANK[ga] - RANK[gb];
    if (ga === 'active') return (b.attemptStartedAt ?? b.startedAt ?? 0) - (a.attemptStartedAt ?? a.startedAt ?? 0) || b.createdAt - a.createdAt;
    if (ga === 'waiting') return b.priority - a.priority || a.position - b.position;
    return (b.finishedAt ?? b.createdAt) - (a.finishedAt ?? a.createdAt) || b.createdAt - a.createdAt;
  });
}

/** `state`: '' (all), a group (active, waiting, finished) or one state; `kind`: '' or a job kind. */
export function filterJobs(jobs: readonly JobView[], filter: { state: string; kind: string }): JobView[] {
  return jobs.filter((j) => {
    if (filter.kind && j.kind !== filter.kind) return false;
    if (!filter.state) return true;
    if (filter.state in STATE_GROUPS) return groupOf(j.state) === filter.state;
    return j.state === filter.state;
  });
}
