/**
 * Cluster profiles in the app database (migration 600): how to reach a Slurm cluster and what to
 * ask it for. Validated by the contract's schema on the way in and on the way out, so a row
 * written by hand or by an older version is an error naming the profile, never a half-read one.
 */
import { ClusterProfileSchema, type ClusterProfile } from '../../preload/api';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';

interface ProfileRow {
  name: string;
  profile: string;
  created_at: number;
}

function validate(raw: unknown, where: string): Omit<ClusterProfile, 'createdAt'> {
  const parsed = ClusterProfileSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || 'profile';
  throw new WorkbenchError('CLUSTER_PROFILE_INVALID', `${where}: ${field}: ${issue?.message}.`, 'See `sae-workbench cluster add --help` for what each field takes.');
}

function fromRow(row: ProfileRow): ClusterProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(row.profile);
  } catch {
    throw new WorkbenchError('CLUSTER_PROFILE_INVALID', `The stored cluster profile "${row.name}" is not valid JSON.`, `Remove it (sae-workbench cluster remove ${row.name}) and add it again.`);
  }
  return { ...validate(raw, `The stored cluster profile "${row.name}"`), createdAt: row.created_at };
}

export class ClusterProfiles {
  constructor(private readonly db: Db) {}

  list(): ClusterProfile[] {
    return (this.db.prepare('SELECT name, profile, created_at FROM cluster_profiles ORDER BY name').all() as ProfileRow[]).map(fromRow);
  }

  find(name: string): ClusterProfile | null {
    const row = this.db.prepare('SELECT name, profile, created_at FROM cluster_profiles WHERE name = ?').get(name) as ProfileRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** The profile named, or an error listing the known ones. */
  get(name: string): ClusterProfile {
    const found = this.find(name);
    if (found) return found;
    const known = this.list().map((p) => p.name);
    throw new WorkbenchError(
      'CLUSTER_NOT_FOUND',
      `There is no cluster profile "${name}".`,
      known.length ? `Known profiles: ${known.join(', ')}.` : 'Add one with: sae-workbench cluster add <name> --kind slurm --via local|ssh --workdir <dir> --command "<remote sae-workbench>"',
    );
  }

  add(raw: unknown, options: { replace?: boolean } = {}): ClusterProfile {
    // A profile as cluster.list gives it (an edited one, saved back) carries its createdAt: ours to keep, not the caller's.
    const { createdAt: _createdAt, ...fields } = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const profile = validate(raw && typeof raw === 'object' ? fields : raw, 'The cluster profile');
    const existing = this.find(profile.name);
    if (existing && !options.replace) {
      throw new WorkbenchError('CLUSTER_EXISTS', `A cluster profile named "${profile.name}" exists already.`, `Remove it first (sae-workbench cluster remove ${profile.name}), or choose another name.`);
    }
    const createdAt = existing?.createdAt ?? Date.now();
    this.db
      .prepare('INSERT INTO cluster_profiles (name, profile, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET profile = excluded.profile')
      .run(profile.name, JSON.stringify(profile), createdAt);
    return { ...profile, createdAt };
  }

  /** Refused while a job on this cluster is not finished: it would be orphaned there. */
  remove(name: string): void {
    this.get(name);
    const active = this.db.prepare("SELECT id FROM jobs WHERE target = ? AND state NOT IN ('completed', 'failed', 'cancelled') LIMIT 3").all(name) as { id: string }[];
    if (active.length > 0) {
      throw new WorkbenchError('CLUSTER_IN_USE', `Jobs on cluster "${name}" are not finished (${active.map((j) => j.id).join(', ')}).`, 'Cancel them or let them finish, then remove the profile.');
    }
    this.db.prepare('DELETE FROM cluster_profiles WHERE name = ?').run(name);
  }
}
