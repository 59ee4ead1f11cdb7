/**
 * `--on <cluster>` for every job-running command: the job goes to the queue with that target and
 * the command follows it there. One option, one check, for all of them (a new command such as
 * `crosscoder` adds `...onOption` to its options and passes `target` to runJobInForeground).
 */
import { ClusterProfiles } from '../cluster/clusterProfiles';
import { openDatabase } from '../db/connection';
import { prepareHome } from '../home';
import { jobKinds } from '../jobKinds';

export const onOption = { on: { type: 'string' } } as const;

/** The --on value, or null when the command runs here. */
export function targetOf(values: Record<string, unknown>): string | null {
  return typeof values.on === 'string' && values.on.length > 0 ? values.on : null;
}

/** Refused before anything is queued: a kind that only touches local files, or a profile that does not exist. */
export function checkJobTarget(home: string, target: string, kind: string): void {
  jobKinds.requireRemote(kind, target);
  prepareHome(home);
  const db = openDatabase(home);
  try {
    new ClusterProfiles(db).get(target);
  } finally {
    db.close();
  }
}
