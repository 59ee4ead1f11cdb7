import type { ClusterProfile } from '../../preload/api';
import { ClusterProfiles } from '../cluster/clusterProfiles';
import { testCluster } from '../cluster/clusterTest';
import { openDatabase } from '../db/connection';
import { WorkbenchError } from '../errors';
import { prepareHome } from '../home';
import type { CliCommand, CliContext } from './command';

const USAGE = [
  'sae-workbench cluster add <name> --kind slurm --via local|ssh [--host <ssh host>] --workdir <dir> --command "<remote sae-workbench>" [--partition P] [--account A] [--qos Q] [--time HH:MM:SS] [--cpus N] [--mem 16G] [--gres gpu:1] [--sbatch "<line>"]... [--env "<line>"]... [--copy-inputs] [--max-resubmits N] [--replace]',
  'sae-workbench cluster list [--json]',
  'sae-workbench cluster test <name>',
  'sae-workbench cluster remove <name>',
].join('\n       ');

function withProfiles<T>(ctx: CliContext, f: (p: ClusterProfiles) => T): T {
  prepareHome(ctx.home);
  const db = openDatabase(ctx.home);
  try {
    return f(new ClusterProfiles(db));
  } finally {
    db.close();
  }
}

function intOption(values: Record<string, unknown>, name: string): number | null {
  const v = values[name];
  if (v === undefined) return null;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new WorkbenchError('BAD_ARGUMENT', `--${name} "${String(v)}" is not a whole number.`, `Usage: ${USAGE}`);
  return Number(v);
}

const str = (values: Record<string, unknown>, name: string): string | null => (typeof values[name] === 'string' ? (values[name] as string) : null);

/** The profile the flags describe, field names as the contract's (checked there). */
function profileFromFlags(name: string, values: Record<string, unknown>): Record<string, unknown> {
  const kind = str(values, 'kind') ?? 'slurm';
  if (kind !== 'slurm') throw new WorkbenchError('BAD_ARGUMENT', `--kind "${kind}": the only cluster kind is slurm.`, `Usage: ${USAGE}`);
  for (const required of ['via', 'workdir', 'command']) if (!str(values, required)) throw new WorkbenchError('BAD_ARGUMENT', `cluster add needs --${required}.`, `Usage: ${USAGE}`);
  return {
    name,
    kind,
    via: str(values, 'via'),
    host: str(values, 'host'),
    workdir: str(values, 'workdir'),
    command: str(values, 'command'),
    partition: str(values, 'partition'),
    account: str(values, 'account'),
    qos: str(values, 'qos'),
    time: str(values, 'time'),
    cpus: intOption(values, 'cpus'),
    mem: str(values, 'mem'),
    gres: str(values, 'gres'),
    sbatch: (values.sbatch as string[] | undefined) ?? [],
    env: (values.env as string[] | undefined) ?? [],
    copyInputs: values['copy-inputs'] === true,
    maxResubmits: intOption(values, 'max-resubmits') ?? 0,
  };
}

function describe(p: ClusterProfile): string {
  const asks = [p.partition && `partition ${p.partition}`, p.account && `account ${p.account}`, p.qos && `qos ${p.qos}`, p.time && `time ${p.time}`, p.cpus && `${p.cpus} cpus`, p.mem && `mem ${p.mem}`, p.gres && `gres ${p.gres}`].filter(Boolean).join(', ');
  return `${p.name}  slurm via ${p.via === 'ssh' ? `ssh ${p.host}` : 'this machine'}  workdir ${p.workdir}  command ${p.command}${asks ? `  (${asks})` : ''}`;
}

export const clusterCommand: CliCommand = {
  name: 'cluster',
  summary: 'Slurm cluster profiles that jobs can run on (--on <name>): add, list, test, remove.',
  usage: USAGE,
  options: {
    kind: { type: 'string' },
    via: { type: 'string' },
    host: { type: 'string' },
    workdir: { type: 'string' },
    command: { type: 'string' },
    partition: { type: 'string' },
    account: { type: 'string' },
    qos: { type: 'string' },
    time: { type: 'string' },
    cpus: { type: 'string' },
    mem: { type: 'string' },
    gres: { type: 'string' },
    sbatch: { type: 'string', multiple: true },
    env: { type: 'string', multiple: true },
    'copy-inputs': { type: 'boolean' },
    'max-resubmits': { type: 'string' },
    replace: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  moreHelp: () => [
    'A profile says how to reach a Slurm cluster and what to ask it for. --via local: sbatch and friends run on this',
    'machine (a login node); --via ssh: on --host, with your own OpenSSH config and keys (no password is ever stored).',
    '--workdir is a folder on the cluster\'s shared storage for job folders; --command starts SAE Workbench there',
    '(the same version as this app), e.g. "/shared/sae-workbench/bin/sae-workbench.mjs". --env lines run before it on',
    'the node ("module load nodejs", "export HF_HOME=/shared/hf"); --sbatch lines are extra #SBATCH options, dashes',
    'optional: --sbatch constraint=a100 (or --sbatch=--constraint=a100; the shell reads --sbatch "--x" as another option).',
  ],
  async run({ values, positionals }, ctx) {
    const [sub, name] = positionals;
    switch (sub) {
      case 'add': {
        if (!name) throw new WorkbenchError('BAD_ARGUMENT', 'cluster add needs a name.', `Usage: ${USAGE}`);
        const profile = withProfiles(ctx, (p) => p.add(profileFromFlags(name, values), { replace: values.replace === true }));
        ctx.stdout(`Added ${describe(profile)}`);
        ctx.stdout(`Check it with: sae-workbench cluster test ${profile.name}`);
        return 0;
      }
      case 'list': {
        const list = withProfiles(ctx, (p) => p.list());
        if (values.json) ctx.stdout(JSON.stringify(list, null, 2));
        else if (list.length === 0) ctx.stdout('No cluster profiles. Add one with: sae-workbench cluster add <name> --kind slurm --via local|ssh ...');
        else list.forEach((p) => ctx.stdout(describe(p)));
        return 0;
      }
      case 'test': {
        if (!name) throw new WorkbenchError('BAD_ARGUMENT', 'cluster test needs a profile name.', `Usage: ${USAGE}`);
        const profile = withProfiles(ctx, (p) => p.get(name));
        const r = await testCluster(profile);
        if (values.json) {
          ctx.stdout(JSON.stringify(r, null, 2));
          return 0;
        }
        ctx.stdout(`${r.name}: Slurm ${r.slurmVersion} reached from ${r.reached}; remote command is sae-workbench ${r.commandVersion}.`);
        ctx.stdout('PARTITION        AVAIL  TIMELIMIT     NODES  STATES                GRES');
        for (const p of r.partitions) ctx.stdout(`${(p.name + (p.default ? '*' : '')).padEnd(16)} ${p.avail.padEnd(6)} ${p.timeLimit.padEnd(13)} ${String(p.nodes).padStart(5)}  ${p.states.padEnd(21)} ${p.gres}`);
        return 0;
      }
      case 'remove': {
        if (!name) throw new WorkbenchError('BAD_ARGUMENT', 'cluster remove needs a profile name.', `Usage: ${USAGE}`);
        withProfiles(ctx, (p) => p.remove(name));
        ctx.stdout(`Removed ${name}.`);
        return 0;
      }
      default:
        throw new WorkbenchError('BAD_ARGUMENT', `Unknown cluster subcommand "${sub ?? ''}".`, `Usage: ${USAGE}`);
    }
  },
};
