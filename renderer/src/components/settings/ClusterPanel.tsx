import { useCallback, useEffect, useState } from 'react';
import type { ClusterProfile, ClusterProfileInput, ClusterTestResult } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { ErrorBanner } from '../ErrorBanner';
import './cluster.css';

interface Draft {
  name: string;
  via: 'local' | 'ssh';
  host: string;
  workdir: string;
  command: string;
  partition: string;
  account: string;
  qos: string;
  time: string;
  cpus: string;
  mem: string;
  gres: string;
  sbatch: string;
  env: string;
  copyInputs: boolean;
  maxResubmits: string;
}

const EMPTY: Draft = { name: '', via: 'ssh', host: '', workdir: '', command: '', partition: '', account: '', qos: '', time: '', cpus: '', mem: '', gres: '', sbatch: '', env: '', copyInputs: false, maxResubmits: '0' };

function draftOf(p: ClusterProfile): Draft {
  return {
    name: p.name,
    via: p.via,
    host: p.host ?? '',
    workdir: p.workdir,
    command: p.command,
    partition: p.partition ?? '',
    account: p.account ?? '',
    qos: p.qos ?? '',
    time: p.time ?? '',
    cpus: p.cpus == null ? '' : String(p.cpus),
    mem: p.mem ?? '',
    gres: p.gres ?? '',
    sbatch: p.sbatch.join('\n'),
    env: p.env.join('\n'),
    copyInputs: p.copyInputs,
    maxResubmits: String(p.maxResubmits),
  };
}

const orNull = (s: string) => (s.trim() === '' ? null : s.trim());
const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);

function profileOf(d: Draft): ClusterProfileInput {
  return {
    name: d.name.trim(),
    kind: 'slurm',
    via: d.via,
    host: d.via === 'ssh' ? orNull(d.host) : null,
    workdir: d.workdir.trim(),
    command: d.command.trim(),
    partition: orNull(d.partition),
    account: orNull(d.account),
    qos: orNull(d.qos),
    time: orNull(d.time),
    cpus: d.cpus.trim() === '' ? null : Number(d.cpus),
    mem: orNull(d.mem),
    gres: orNull(d.gres),
    sbatch: lines(d.sbatch),
    env: lines(d.env),
    copyInputs: d.copyInputs,
    maxResubmits: Number(d.maxResubmits || 0),
  };
}

/**
 * Slurm clusters that jobs can run on ("Run on" in the job forms, `--on` in the CLI): the list,
 * a form to add or edit one, and "Test connection", which runs sinfo there and shows the partitions.
 */
export function ClusterPanel() {
  const client = useClient();
  const [profiles, setProfiles] = useState<ClusterProfile[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tests, setTests] = useState<Record<string, { busy: boolean; result?: ClusterTestResult; error?: unknown }>>({});
  const reload = useCallback(() => client.call('cluster.list', {}).then(setProfiles, setError), [client]);
  useEffect(() => {
    void reload();
  }, [reload]);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => (d ? { ...d, [k]: v } : d));

  const save = async () => {
    if (!draft) return;
    setError(null);
    try {
      const saved = await client.call('cluster.add', { profile: profileOf(draft), replace: editing !== null });
      setDraft(null);
      setEditing(null);
      await reload();
      void test(saved.name);
    } catch (e) {
      setError(e);
    }
  };
  const test = async (name: string) => {
    setTests((t) => ({ ...t, [name]: { busy: true } }));
    try {
      const result = await client.call('cluster.test', { name });
      setTests((t) => ({ ...t, [name]: { busy: false, result } }));
    } catch (e) {
      setTests((t) => ({ ...t, [name]: { busy: false, error: e } }));
    }
  };
  const remove = async (name: string) => {
    setError(null);
    try {
      await client.call('cluster.remove', { name });
      await reload();
    } catch (e) {
      setError(e);
    }
  };

  const text = (k: keyof Draft, label: string, placeholder: string, hint?: string) => (
    <label className="field">
      {label}
      <input aria-label={label} value={draft![k] as string} placeholder={placeholder} onChange={(e) => set(k, e.target.value as never)} />
      {hint && <span className="setting-source">{hint}</span>}
    </label>
  );

  return (
    <div className="panel cluster-panel" aria-label="Clusters">
      <h2>Clusters (Slurm)</h2>
      <p className="setting-source">
        Send training, indexing, evaluations and experiments to a Slurm cluster: the job is submitted with sbatch, its progress and curves come back live, and its results come home into this
        data directory when it ends. SSH uses your own OpenSSH config and keys; no password is stored.
      </p>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {profiles.length === 0 && !draft && <p className="muted">No clusters yet.</p>}
      {profiles.map((p) => {
        const t = tests[p.name];
        return (
          <div key={p.name} className="cluster-profile" data-cluster={p.name}>
            <div className="cluster-head">
              <strong>{p.name}</strong>
              <span className="muted small">
                Slurm {p.via === 'ssh' ? `via ssh ${p.host}` : 'on this machine'} · {p.workdir}
                {[p.partition && `partition ${p.partition}`, p.time && `time ${p.time}`, p.gres && `gres ${p.gres}`].filter(Boolean).map((s) => ` · ${s}`)}
              </span>
              <span className="cluster-actions">
                <button onClick={() => void test(p.name)} disabled={t?.busy}>
                  {t?.busy ? 'Testing…' : 'Test connection'}
                </button>
                <button
                  onClick={() => {
                    setEditing(p.name);
                    setDraft(draftOf(p));
                  }}
                >
                  Edit
                </button>
                <button className="link" onClick={() => void remove(p.name)}>
                  Remove
                </button>
              </span>
            </div>
            {t?.error != null && <ErrorBanner error={t.error} onDismiss={() => setTests((x) => ({ ...x, [p.name]: { busy: false } }))} />}
            {t?.result && (
              <div className="cluster-test" role="status" aria-label={`Test of ${p.name}`}>
                <div className="ok-text small">
                  Reached Slurm {t.result.slurmVersion} from {t.result.reached}; its SAE Workbench is {t.result.commandVersion}.
                </div>
                <table className="jobs compact" aria-label={`Partitions of ${p.name}`}>
                  <thead>
                    <tr>
                      <th>Partition</th>
                      <th>Avail</th>
                      <th>Time limit</th>
                      <th className="num">Nodes</th>
                      <th>States</th>
                      <th>GRES</th>
                    </tr>
                  </thead>
                  <tbody>
                    {t.result.partitions.map((part) => (
                      <tr key={part.name}>
                        <td className="mono">
                          {part.name}
                          {part.default ? ' (default)' : ''}
                        </td>
                        <td>{part.avail}</td>
                        <td className="mono">{part.timeLimit}</td>
                        <td className="num">{part.nodes}</td>
                        <td>{part.states}</td>
                        <td className="mono">{part.gres || '–'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
        );
      })}
      {!draft && (
        <div className="toolbar">
          <button
            onClick={() => {
              setEditing(null);
              setDraft(EMPTY);
            }}
          >
            Add a cluster
          </button>
        </div>
      )}
      {draft && (
        <form
          className="cluster-form"
          aria-label={editing ? `Edit cluster ${editing}` : 'New cluster'}
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <div className="cluster-grid">
            <label className="field">
              Name
              <input aria-label="Cluster name" value={draft.name} disabled={editing !== null} placeholder="hpc" onChange={(e) => set('name', e.target.value)} />
              <span className="setting-source">Used in “Run on” and as --on on the command line.</span>
            </label>
            <div className="field">
              Reached
              <div className="segmented" role="group" aria-label="Reached">
                <button type="button" aria-pressed={draft.via === 'ssh'} onClick={() => set('via', 'ssh')}>
                  over SSH
                </button>
                <button type="button" aria-pressed={draft.via === 'local'} onClick={() => set('via', 'local')}>
                  on this machine
                </button>
              </div>
              <span className="setting-source">{draft.via === 'ssh' ? 'sbatch runs on a login node, reached with ssh.' : 'sbatch, squeue, … are on this machine (a login node or a workstation in the cluster).'}</span>
            </div>
            {draft.via === 'ssh' && text('host', 'SSH host', 'login.cluster.edu', 'A Host of ~/.ssh/config, host or user@host; `ssh <host> true` must work without a prompt.')}
            {text('workdir', 'Work folder', '/shared/$USER/sae-workbench', 'On the cluster’s shared storage: one folder per job (params, script, logs, results).')}
            {text('command', 'Remote command', '/shared/sae-workbench/bin/sae-workbench.mjs', 'Starts SAE Workbench there; it must be this same version.')}
            {text('partition', 'Partition', 'default')}
            {text('account', 'Account', 'none')}
            {text('qos', 'QOS', 'none')}
            {text('time', 'Time limit', '04:00:00', 'Slurm sends USR1 2 minutes before it; the job checkpoints and stops.')}
            {text('cpus', 'CPUs per task', 'default')}
            {text('mem', 'Memory', '16G')}
            {text('gres', 'GRES', 'gpu:1', 'gpu:1 for a GPU node; jobs with device auto use what the node has.')}
            {text('maxResubmits', 'Resubmits after TIMEOUT', '0', 'How often a job that reached its time limit is submitted again from its checkpoint.')}
            <label className="field">
              Extra #SBATCH lines
              <textarea aria-label="Extra sbatch lines" rows={2} value={draft.sbatch} placeholder="--constraint=a100" onChange={(e) => set('sbatch', e.target.value)} />
            </label>
            <label className="field">
              Environment lines (run before the command on the node)
              <textarea aria-label="Environment lines" rows={2} value={draft.env} placeholder={'module load nodejs/20\nexport HF_HOME=/shared/hf'} onChange={(e) => set('env', e.target.value)} />
            </label>
            <label className="switch">
              <input type="checkbox" aria-label="Copy inputs" checked={draft.copyInputs} onChange={(e) => set('copyInputs', e.target.checked)} />
              Copy inputs to the work folder (the cluster does not see this machine’s files at the same paths)
            </label>
          </div>
          <div className="toolbar">
            <button className="primary" type="submit">
              {editing ? 'Save' : 'Add cluster'}
            </button>
            <button
              type="button"
              onClick={() => {
                setDraft(null);
                setEditing(null);
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
