/**
 * A real one-node Slurm cluster for tests: munged, slurmctld and slurmd (Debian's slurm-wlm and
 * munge) started as root in a temporary folder with their own key, sockets, ports and config
 * (passed by SLURM_CONF, set in this process's environment so sbatch & co. find it), and stopped
 * afterwards. It fails loudly when it cannot start; tests that need it must not skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface SlurmCluster {
  dir: string;
  conf: string;
  partition: string;
  /** The one node's name (this machine's host name). */
  nodeName: string;
  /** Environment for Slurm's commands (SLURM_CONF). */
  env: Record<string, string>;
  /** Run a Slurm command (scontrol, squeue, ...) against this cluster. */
  slurm(command: string, args: string[]): string;
  stop(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function need(binary: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const p = path.join(dir, binary);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${binary} is not installed: the cluster tests need Debian's slurm-wlm and munge (apt-get install slurm-wlm munge; .ci/run installs them).`);
}

function readPid(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function kill(pid: number | null): void {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  if (process.getuid?.() !== 0) throw new Error('The cluster tests start munged, slurmctld and slurmd as root; run them as root (CI does).');
  const munged = need('munged');
  const slurmctld = need('slurmctld');
  const slurmd = need('slurmd');
  need('sbatch');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-slurm-'));
  const host = os.hostname();
  const [ctlPort, dPort] = [await freePort(), await freePort()];
  for (const d of ['state', 'spool', 'log']) fs.mkdirSync(path.join(dir, d));
  const key = path.join(dir, 'munge.key');
  fs.writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = path.join(dir, 'munge.socket');
  const conf = path.join(dir, 'slurm.conf');
  const partition = 'debug';
  fs.writeFileSync(
    conf,
    [
      `ClusterName=wb${randomBytes(3).toString('hex')}`,
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctlPort}`,
      `SlurmdPort=${dPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      // cred_expire sets how long a requeued job waits before it may start again (default 120 s).
      `AuthInfo=socket=${socket},cred_expire=5`,
      'CredType=cred/munge',
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool/slurmd-%n`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/log/slurmctld.log`,
      `SlurmdLogFile=${dir}/log/slurmd.log`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'SchedulerType=sched/backfill',
      'SchedulerParameters=bf_interval=2,sched_min_interval=100000',
      'MpiDefault=none',
      'ReturnToService=2',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'MinJobAge=600',
      'KillWait=20',
      'InactiveLimit=0',
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${Math.max(1, os.cpus().length)} State=UNKNOWN`,
      `PartitionName=${partition} Nodes=${host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4`,
      '',
    ].join('\n'),
  );
  const env = { SLURM_CONF: conf };
  const runEnv = { ...process.env, ...env };
  const started: string[] = [];
  const stop = () => {
    kill(readPid(path.join(dir, 'slurmd.pid')));
    kill(readPid(path.join(dir, 'slurmctld.pid')));
    kill(readPid(path.join(dir, 'munged.pid')));
    // Give them a moment to let go of their files, then remove the folder.
    spawnSync('sleep', ['1']);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const logs = () => ['slurmctld.log', 'slurmd.log', 'munged.log'].map((f) => `--- ${f}\n${fs.existsSync(path.join(dir, 'log', f)) ? fs.readFileSync(path.join(dir, 'log', f), 'utf8').split('\n').slice(-15).join('\n') : '(none)'}`).join('\n');
  try {
    execFileSync(munged, ['--force', `--socket=${socket}`, `--key-file=${key}`, `--log-file=${dir}/log/munged.log`, `--pid-file=${dir}/munged.pid`, `--seed-file=${dir}/munged.seed`], { stdio: 'pipe' });
    started.push('munged');
    execFileSync(slurmctld, ['-i'], { env: runEnv, stdio: 'pipe' });
    started.push('slurmctld');
    execFileSync(slurmd, [], { env: runEnv, stdio: 'pipe' });
    started.push('slurmd');
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    const why = `${e.message}\n${e.stderr?.toString() ?? ''}\n${logs()}`;
    stop();
    throw new Error(`The test Slurm cluster could not start (${started.join(', ') || 'nothing'} started): ${why}`);
  }
  const slurm = (command: string, args: string[]) => execFileSync(command, args, { env: runEnv, encoding: 'utf8' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    let state = '';
    try {
      state = slurm('sinfo', ['-h', '-o', '%T']).trim();
    } catch {
      // the controller is still starting
    }
    if (/^(idle|mixed|allocated)/.test(state)) break;
    if (Date.now() > deadline) {
      const why = logs();
      stop();
      throw new Error(`The test Slurm cluster did not become ready within 60 s (sinfo: "${state}"):\n${why}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  process.env.SLURM_CONF = conf;
  return { dir, conf, partition, nodeName: host, env, slurm, stop };
}
