/**
 * An OpenSSH server on 127.0.0.1 for the `ssh` cluster target's tests: its own host key, a client
 * key made for the test, and an ssh client config (passed to the app by SAE_WORKBENCH_SSH_CONFIG)
 * with three hosts: `wb-login` (the key is authorized), `wb-badkey` (another key: authentication
 * fails) and `wb-down` (a port nothing listens on). Started as root, stopped afterwards; it fails
 * loudly when it cannot start.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SSH_CONFIG_ENV } from '../cluster/clusterShell';
import { freePort } from './slurmCluster';

export interface SshServer {
  dir: string;
  /** The ssh client config; also set as SAE_WORKBENCH_SSH_CONFIG in this process. */
  config: string;
  host: 'wb-login';
  badKeyHost: 'wb-badkey';
  downHost: 'wb-down';
  /** The network drops: every open connection (multiplexed masters too) is cut and the port refuses, until `resume`. */
  interrupt(): Promise<void>;
  /** The server is back on the same port with the same keys. */
  resume(): Promise<void>;
  stop(): void;
}

export async function startSshServer(env: Record<string, string>): Promise<SshServer> {
  if (!fs.existsSync('/usr/sbin/sshd')) throw new Error('sshd is not installed: the ssh cluster tests need openssh-server (apt-get install openssh-server; .ci/run installs it).');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-sshd-'));
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { stdio: 'pipe' });
  keygen(path.join(dir, 'host_key'));
  keygen(path.join(dir, 'client_key'));
  keygen(path.join(dir, 'other_key'));
  fs.copyFileSync(path.join(dir, 'client_key.pub'), path.join(dir, 'authorized_keys'));
  const port = await freePort();
  const closed = await freePort();
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const sshdConfig = path.join(dir, 'sshd_config');
  fs.writeFileSync(
    sshdConfig,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${dir}/host_key`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'PrintMotd no',
      // Slurm's commands find the test cluster as on a login node where it is configured.
      `SetEnv ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} PATH=${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  const hostKey = fs.readFileSync(path.join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n[127.0.0.1]:${closed} ${hostKey}\n`);
  const config = path.join(dir, 'ssh_config');
  const common = ['  HostName 127.0.0.1', '  User root', '  IdentitiesOnly yes', `  UserKnownHostsFile ${dir}/known_hosts`, '  StrictHostKeyChecking yes', '  LogLevel ERROR'];
  fs.writeFileSync(
    config,
    [
      'Host wb-login', `  Port ${port}`, `  IdentityFile ${dir}/client_key`, ...common,
      'Host wb-badkey', `  Port ${port}`, `  IdentityFile ${dir}/other_key`, ...common,
      'Host wb-down', `  Port ${closed}`, `  IdentityFile ${dir}/client_key`, ...common,
      '',
    ].join('\n'),
  );
  let sshd: ChildProcess;
  let stderr = '';
  const launch = () => {
    stderr = '';
    sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', sshdConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
    sshd.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  };
  const stop = () => {
    sshd.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const untilAnswers = async () => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const probe = await new Promise<number>((resolve) => {
        const c = spawn('ssh', ['-F', config, '-o', 'BatchMode=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none', 'wb-login', 'true'], { stdio: 'ignore' });
        c.on('close', (code) => resolve(code ?? 1));
      });
      if (probe === 0) return;
      if (sshd.exitCode !== null || Date.now() > deadline) {
        stop();
        throw new Error(`The test sshd did not start on 127.0.0.1:${port} (exit ${sshd.exitCode}): ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  // A connection is served by a child of the listener: cutting the children drops every session.
  const interrupt = async () => {
    const listener = sshd;
    const exited = new Promise((r) => listener.once('exit', r));
    try {
      execFileSync('pkill', ['-TERM', '-P', String(listener.pid)], { stdio: 'ignore' });
    } catch {
      // No open connection: nothing to cut.
    }
    listener.kill('SIGTERM');
    await exited;
  };
  const resume = async () => {
    launch();
    await untilAnswers();
  };
  launch();
  await untilAnswers();
  process.env[SSH_CONFIG_ENV] = config;
  return { dir, config, host: 'wb-login', badKeyHost: 'wb-badkey', downHost: 'wb-down', interrupt, resume, stop };
}
