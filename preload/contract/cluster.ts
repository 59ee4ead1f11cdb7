import { z } from 'zod';
import { method } from './define';

/**
 * Execution targets other than this machine: Slurm cluster profiles (main/cluster/). A job's
 * target is a profile's name, or null for this machine; the job's maths does not know where it
 * runs. Profiles hold no secret: an `ssh` target is reached with the user's own OpenSSH config and
 * keys.
 */

/** A profile's name: a short word, used on the command line as `--on <name>`. */
export const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Slurm's time formats that sbatch --time takes: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. */
export const SLURM_TIME_PATTERN = /^(\d+|\d+:\d{2}|\d+:\d{2}:\d{2}|\d+-\d+|\d+-\d+:\d{2}|\d+-\d+:\d{2}:\d{2})$/;

const Line = z.string().max(1000).refine((s) => !/[\n\r\0]/.test(s), 'one line (no newline or NUL)');
const Word = z.string().min(1).max(200).refine((s) => /^[^\s'"`$\\;&|<>(){}]+$/.test(s), 'one word without spaces, quotes or shell characters');

export const ClusterProfileSchema = z
  .object({
    name: z.string().regex(CLUSTER_NAME_PATTERN, 'a name of letters, digits, ".", "_" or "-" (up to 64), e.g. "hpc" or "lab-gpu"'),
    kind: z.literal('slurm').default('slurm'),
    /** `local`: sbatch and friends run on this machine (a login node or a workstation in the cluster); `ssh`: on `host`, over OpenSSH. */
    via: z.enum(['local', 'ssh']),
    /** An ssh destination as `ssh` takes it: a Host alias of ~/.ssh/config, host, or user@host. */
    host: Word.nullable().default(null),
    /** The job folders' parent on the cluster's shared storage (absolute). */
    workdir: z.string().min(2).max(1000).refine((s) => s.startsWith('/') && !/[\n\r\0]/.test(s), 'an absolute path on the cluster'),
    /** How the cluster starts this app's CLI, e.g. "/shared/sae-workbench/bin/sae-workbench.mjs" or "node /opt/sae-workbench/bin/sae-workbench.mjs". */
    command: z.string().min(1).max(1000).refine((s) => !/[\n\r\0]/.test(s), 'one line'),
    partition: Word.nullable().default(null),
    account: Word.nullable().default(null),
    qos: Word.nullable().default(null),
    time: z.string().regex(SLURM_TIME_PATTERN, 'a Slurm time limit such as 04:00:00 or 1-00:00:00').nullable().default(null),
    cpus: z.number().int().min(1).max(4096).nullable().default(null),
    mem: z.string().regex(/^\d+[KMGT]?$/, 'a Slurm memory size such as 16G').nullable().default(null),
    gres: Word.nullable().default(null),
    /** Extra `#SBATCH` lines (without the prefix), e.g. "--constraint=a100". */
    sbatch: z.array(Line).max(50).default([]),
    /** Lines run before the command on the node: "module load cuda/12", "export HF_HOME=/shared/hf". */
    env: z.array(Line).max(50).default([]),
    /** Copy inputs into the work folder even where the cluster sees the same paths (its storage is not shared with this machine). */
    copyInputs: z.boolean().default(false),
    /** After a TIMEOUT, submit again from the checkpoint up to this many times. */
    maxResubmits: z.number().int().min(0).max(100).default(0),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.via === 'ssh' && !p.host) ctx.addIssue({ code: 'custom', path: ['host'], message: 'an ssh target needs a host (an ssh destination such as login.cluster.edu or a Host of ~/.ssh/config)' });
    if (p.via === 'local' && p.host) ctx.addIssue({ code: 'custom', path: ['host'], message: 'a local target runs Slurm on this machine: leave the host out' });
  });

export type ClusterProfileInput = z.input<typeof ClusterProfileSchema>;
export type ClusterProfile = z.output<typeof ClusterProfileSchema> & { createdAt: number };

export interface SlurmPartition {
  name: string;
  default: boolean;
  /** "up", "down", ... */
  avail: string;
  timeLimit: string;
  nodes: number;
  /** Node states and counts, e.g. "1 idle". */
  states: string;
  gres: string;
}

export interface ClusterTestResult {
  name: string;
  /** "this machine" or "ssh login.cluster.edu". */
  reached: string;
  slurmVersion: string;
  partitions: SlurmPartition[];
  /** The remote command's version, equal to this app's (else the test fails with both). */
  commandVersion: string;
}

/** Where a remote job stands on its cluster, as the Queue shows it. */
export interface RemoteJobInfo {
  /** The Slurm job id of the current submission (null before sbatch answered). */
  slurmJobId: string | null;
  /** Slurm's state: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, PREEMPTED, NODE_FAIL, CANCELLED, REQUEUED, ... */
  slurmState: string | null;
  /** Why it is pending (Priority, Resources, BeginTime, ...), from squeue. */
  reason: string | null;
  /** The node it runs on. */
  node: string | null;
  /** The job's folder on the cluster. */
  jobDir: string;
  /** Earlier submissions of this job (resumes, TIMEOUT resubmits), oldest first. */
  previousSlurmJobIds: string[];
  /** TIMEOUT resubmits used so far. */
  resubmits: number;
  /** Lines of the node's log (log.jsonl) copied into this job's log so far. */
  logLines: number;
  /** A job that splits (a sharded index): the Slurm array job of its parts, whose join is slurmJobId (it waits for them: --dependency=afterok). */
  arrayJobId?: string | null;
  /** How many parts the array has. */
  parts?: number | null;
  /** Lines of each part's log (parts/<i>/log.jsonl) copied into this job's log so far, as "[part i] ...". */
  partLogLines?: number[] | null;
}

const Name = z.string().regex(CLUSTER_NAME_PATTERN, 'not a cluster profile name');

export const clusterContract = {
  'cluster.list': method<ClusterProfile[]>()(z.object({}).strict()),
  /** Add a profile; `replace: true` overwrites one of the same name (the Settings page's Save). */
  'cluster.add': method<ClusterProfile>()(z.object({ profile: z.unknown(), replace: z.boolean().optional() }).strict()),
  'cluster.remove': method<{ removed: true }>()(z.object({ name: Name }).strict()),
  /** Run sinfo on the target (and the remote command's --version): the partitions, or the error. */
  'cluster.test': method<ClusterTestResult>()(z.object({ name: Name }).strict()),
};
