import { useEffect, useState } from 'react';
import type { ClusterProfile } from '../../../../preload/api';
import { useClient } from '../../client/context';

/**
 * "Run on": this machine (the default) or a Slurm cluster profile from Settings. The value is the
 * profile's name, or '' for this machine (jobs.add's `target` left out).
 */
/** `compact`: the label and the select only (forms with their own layout). */
/** `name`: the select's accessible name, where a page has more than one form (default "Run on"). */
export function RunOnPicker({ value, onChange, className, compact, name }: { value: string; onChange: (target: string) => void; className?: string; compact?: boolean; name?: string }) {
  const client = useClient();
  const [profiles, setProfiles] = useState<ClusterProfile[] | null>(null);
  useEffect(() => {
    client.call('cluster.list', {}).then(setProfiles, () => setProfiles([]));
  }, [client]);
  const chosen = profiles?.find((p) => p.name === value);
  return (
    <label className={className ?? 'field'}>
      {compact ? 'Run on' : <span className="train-label">Run on</span>}
      <select aria-label={name ?? 'Run on'} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">This machine</option>
        {profiles?.map((p) => (
          <option key={p.name} value={p.name}>
            {p.name} (Slurm{p.via === 'ssh' ? ` via ${p.host}` : ''}{p.partition ? `, ${p.partition}` : ''})
          </option>
        ))}
      </select>
      {!compact && (
        <span className="muted small">
          {chosen
            ? `Submitted with sbatch${chosen.gres ? ` (--gres ${chosen.gres})` : ''}; progress and curves come back live, results come home when it ends.`
            : profiles && profiles.length === 0
              ? 'Only this machine: add a Slurm cluster in Settings to send jobs there.'
              : 'This machine, or a Slurm cluster from Settings.'}
        </span>
      )}
    </label>
  );
}
