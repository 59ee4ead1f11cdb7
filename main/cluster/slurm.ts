/**
 * Slurm's own commands, as text in and text out: sinfo for a connection test, the sbatch script a
 * job runs, sbatch's answer, and squeue / sacct / scontrol lines read back into one state. No
 * scheduler of ours: Slurm queues, starts, signals and requeues; we ask it and read what it says.
 */
import type { ClusterProfile, SlurmPartition } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { sq, type ClusterShell, type ShellResult } from './clusterShell';

/** The last lines of a command's error output, for a message. */
export function tail(text: string, lines = 4): string {
  return text
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(' / ');
}

/** A Slurm command that is not there (exit 127) is said as such, naming where it was looked for. */
export function slurmMissing(shell: ClusterShell, res: ShellResult, command: string): WorkbenchError | null {
  if (res.code !== 127 && !/command not found/.test(res.stderr)) return null;
  return new WorkbenchError('CLUSTER_SLURM_MISSING', `${command} is not found on ${shell.reached} (${tail(res.stderr, 2)}).`, 'Run the app where Slurm\'s commands are on the PATH (a login node), or load them in your shell\'s startup files there.');
}

/** `sinfo -h -o '%P|%a|%l|%D|%T|%G'` lines, grouped by partition ("*" marks the default one). */
export function parseSinfo(text: string): SlurmPartition[] {
  const byName = new Map<string, SlurmPartition & { counts: Map<string, number> }>();
  for (const line of text.split('\n')) {
    const f = line.trim().split('|');
    if (f.length < 6 || !f[0]) continue;
    const isDefault = f[0].endsWith('*');
    const name = isDefault ? f[0].slice(0, -1) : f[0];
    const nodes = Number(f[3]) || 0;
    const p = byName.get(name) ?? { name, default: isDefault, avail: f[1], timeLimit: f[2], nodes: 0, states: '', gres: f[5] === '(null)' ? '' : f[5], counts: new Map<string, number>() };
    p.nodes += nodes;
    p.counts.set(f[4], (p.counts.get(f[4]) ?? 0) + nodes);
    byName.set(name, p);
  }
  return [...byName.values()].map(({ counts, ...p }) => ({ ...p, states: [...counts].map(([s, n]) => `${n} ${s}`).join(', ') }));
}

export async function slurmPartitions(shell: ClusterShell): Promise<{ version: string; partitions: SlurmPartition[] }> {
  const res = await shell.run(`sinfo --version && sinfo -h -o '%P|%a|%l|%D|%T|%G'`);
  const missing = slurmMissing(shell, res, 'sinfo');
  if (missing) throw missing;
  if (res.code !== 0) throw new WorkbenchError('CLUSTER_SINFO_FAILED', `sinfo on ${shell.reached} failed: ${tail(res.stderr || res.stdout)}`, 'Slurm\'s controller may be down or unreachable from there; ask `sinfo` in a terminal there.');
  const [first, ...rest] = res.stdout.split('\n');
  return { version: first.trim().replace(/^slurm(-wlm)?\s+/, ''), partitions: parseSinfo(rest.join('\n')) };
}

/** The Slurm job's state as the Queue shows it. */
export interface SlurmJobState {
  state: string;
  reason: string | null;
  node: string | null;
}

/** States after which Slurm runs nothing more for this job id (unless it is requeued). */
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'PREEMPTED', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'SPECIAL_EXIT', 'REVOKED']);

export function slurmStateEnded(state: string): boolean {
  return ENDED.has(state);
}

/** One `squeue -h -t all -o '%T|%r|%N'` or `sacct -n -P -X -o State,Reason,NodeList` line. */
export function parseStateLine(line: string): SlurmJobState | null {
  const f = line.trim().split('|');
  if (!f[0]) return null;
  // sacct says "CANCELLED by 0"; squeue's reason "None" and node "(null)" or "None assigned" are nothing.
  const state = f[0].split(/\s+/)[0].replace(/\+$/, '');
  const reason = f[1] && !['None', '(null)', ''].includes(f[1]) ? f[1] : null;
  const node = f[2] && !['(null)', 'None assigned', ''].includes(f[2]) ? f[2] : null;
  return { state, reason, node };
}

/** `scontrol show job -o <id>`: JobState=, Reason=, NodeList=. */
export function parseScontrol(text: string): SlurmJobState | null {
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(text)?.[1] ?? null;
  const state = field('JobState');
  if (!state) return null;
  const reason = field('Reason');
  const node = field('NodeList');
  return { state, reason: reason && reason !== 'None' ? reason : null, node: node && node !== '(null)' ? node : null };
}

/**
 * A bash fragment that prints one state line for job $1 (squeue, then sacct where accounting
 * exists, then scontrol) or nothing when Slurm no longer knows it.
 */
export function stateProbe(slurmJobId: string): string {
  const id = sq(slurmJobId);
  return [
    `s=$(squeue -h -t all -j ${id} -o '%T|%r|%N' 2>/dev/null | head -n 1)`,
    `if [ -z "$s" ]; then s=$(sacct -n -P -X -j ${id} -o State,Reason,NodeList 2>/dev/null | head -n 1); fi`,
    `if [ -z "$s" ]; then c=$(scontrol show job -o ${id} 2>/dev/null); if [ -n "$c" ]; then s="scontrol $c"; fi; fi`,
    'printf "%s\\n" "$s"',
  ].join('\n');
}

export function parseStateProbe(text: string): SlurmJobState | null {
  const line = text.trim();
  if (!line) return null;
  return line.startsWith('scontrol ') ? parseScontrol(line) : parseStateLine(line);
}

export interface SbatchScriptInput {
  jobId: string;
  kind: string;
  jobDir: string;
  profile: Pick<ClusterProfile, 'partition' | 'account' | 'qos' | 'time' | 'cpus' | 'mem' | 'gres' | 'sbatch' | 'env' | 'command'>;
  /** Continue the job's checkpoint (a resume, a TIMEOUT resubmit). */
  resume: boolean;
  /**
   * `--array` for the parts of a job that splits (e.g. "0-3"): task i runs the part in
   * <jobDir>/parts/<i>/ (its params.json, its --home and its report there).
   */
  array?: string;
}

/** Seconds before the time limit at which Slurm sends USR1: the job checkpoints and stops. */
export const SIGNAL_BEFORE_LIMIT_S = 120;

/**
 * The batch script: Slurm's resources from the profile, the profile's environment lines, then
 * `exec` of the same headless command the local queue runs (`jobs run`), with `--home` in the job
 * folder, so Slurm's signals (USR1 before the time limit; TERM on requeue, preemption, scancel)
 * reach it directly. A requeued run (SLURM_RESTART_COUNT > 0) continues from the checkpoint.
 */
export function sbatchScript(input: SbatchScriptInput): string {
  const p = input.profile;
  const dir = input.jobDir;
  const out = input.array ? `${dir}/slurm-%A_%a.out` : `${dir}/slurm-%j.out`;
  const directives = [
    `--job-name=sae-wb-${input.jobId}`,
    `--output=${out}`,
    '--open-mode=append',
    '--requeue',
    `--signal=B:USR1@${SIGNAL_BEFORE_LIMIT_S}`,
    ...(p.partition ? [`--partition=${p.partition}`] : []),
    ...(p.account ? [`--account=${p.account}`] : []),
    ...(p.qos ? [`--qos=${p.qos}`] : []),
    ...(p.time ? [`--time=${p.time}`] : []),
    ...(p.cpus ? [`--cpus-per-task=${p.cpus}`] : []),
    ...(p.mem ? [`--mem=${p.mem}`] : []),
    ...(p.gres ? [`--gres=${p.gres}`] : []),
    ...(input.array ? [`--array=${input.array}`] : []),
    // "constraint=a100" is "--constraint=a100" (a shell's --sbatch "--x" reads as another option, so lines may drop the dashes).
    ...p.sbatch.map((l) => l.trim().replace(/^#SBATCH\s+/, '')).map((l) => (l.startsWith('-') ? l : `--${l}`)),
  ];
  const fixed = ['jobs', 'run', input.kind, '--job-id', input.jobId].map(sq).join(' ');
  // An array task's folder is only known on the node ($SLURM_ARRAY_TASK_ID): a shell variable, in double quotes.
  const where = input.array ? `--params-file "$D/params.json" --home "$D/home" --report "$D"` : ['--params-file', `${dir}/params.json`, '--home', `${dir}/home`, '--report', dir].map(sq).join(' ');
  const args = `${fixed} ${where}`;
  return [
    '#!/bin/bash',
    ...directives.map((d) => `#SBATCH ${d}`),
    '# Written by SAE Workbench: one job of its queue, run by the same command its own workers run.',
    `cd ${sq(dir)} || exit 1`,
    ...(input.array ? [`D=${sq(`${dir}/parts`)}/"$SLURM_ARRAY_TASK_ID"`] : []),
    ...p.env,
    `RESUME=${input.resume ? '--resume' : ''}`,
    'if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then RESUME=--resume; fi',
    `echo "sae-workbench: job ${input.jobId} (${input.kind}), Slurm job \${SLURM_JOB_ID}\${SLURM_ARRAY_TASK_ID:+ task $SLURM_ARRAY_TASK_ID} on $(hostname), restart \${SLURM_RESTART_COUNT:-0}" >&2`,
    `exec ${p.command} ${args} $RESUME`,
    '',
  ].join('\n');
}

/** sbatch --parsable prints "<id>" or "<id>;<cluster>". */
export function parseSbatchAnswer(stdout: string): string | null {
  const m = /^(\d+)(?:;\S+)?\s*$/m.exec(stdout.trim());
  return m ? m[1] : null;
}

/** sbatch refused the job: Slurm's own words, and what to change. */
export function sbatchRejected(shell: ClusterShell, res: ShellResult): WorkbenchError {
  const said = tail(res.stderr || res.stdout, 3) || `exit ${res.code}`;
  const hint = /partition/i.test(said)
    ? 'Choose a partition that exists and you may use (`cluster test` lists them) in the profile.'
    : /account|association/i.test(said)
      ? 'Set an account you belong to (`sacctmgr show assoc user=$USER`) in the profile.'
      : /time limit|TimeLimit/i.test(said)
        ? 'Lower the profile\'s time limit to what the partition allows (`cluster test` lists the limits).'
        : 'Change the profile (partition, account, qos, time, cpus, memory, gres or sbatch lines) to what this cluster accepts.';
  return new WorkbenchError('SBATCH_REJECTED', `sbatch on ${shell.reached} refused the job: ${said}`, hint);
}
