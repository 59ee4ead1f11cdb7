/**
 * Where Slurm's commands run: this machine (`via local`) or a login node over OpenSSH (`via ssh`),
 * behind one small interface: run a bash script there, copy files there and back. The ssh side
 * uses the user's own OpenSSH config and keys (BatchMode: never a password prompt), and one
 * multiplexed connection per host (ControlMaster) that rsync rides on too, so a poll or a copy
 * costs no new handshake.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClusterProfile } from '../../preload/api';
import { WorkbenchError } from '../errors';

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ClusterShell {
  /** "this machine" or "ssh <host>", for messages. */
  readonly reached: string;
  /** Run a bash script there (fed on stdin). A connection that fails is thrown as a WorkbenchError. */
  run(script: string, options?: { timeoutMs?: number }): Promise<ShellResult>;
  /** Copy a local file or folder (links followed) to a path there; a folder's contents land in `remote`. */
  upload(local: string, remote: string): Promise<void>;
  /** Copy the files (relative paths) under `remoteRoot` there into `localRoot` here, keeping their relative paths. */
  downloadFiles(remoteRoot: string, files: string[], localRoot: string): Promise<void>;
}

/** Shell-quote one word for bash. */
export function sq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const RUN_TIMEOUT_MS = 120_000;
const COPY_TIMEOUT_MS = 6 * 3600_000;

function exec(command: string, args: string[], input: string | null, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === 'SIGKILL' ? 124 : 128), stdout, stderr });
    });
    child.stdin.on('error', () => {
      // The command may exit before reading its input; its exit says what happened.
    });
    child.stdin.end(input ?? '');
  });
}

/** Slurm's commands on this machine; copies are plain copies (the work folder is on storage this machine sees). */
export class LocalShell implements ClusterShell {
  readonly reached = 'this machine';

  async run(script: string, options: { timeoutMs?: number } = {}): Promise<ShellResult> {
    return exec('bash', ['-s'], script, options.timeoutMs ?? RUN_TIMEOUT_MS);
  }

  async upload(local: string, remote: string): Promise<void> {
    copyHere(local, remote);
  }

  async downloadFiles(remoteRoot: string, files: string[], localRoot: string): Promise<void> {
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(localRoot, f)), { recursive: true });
      copyHere(path.join(remoteRoot, f), path.join(localRoot, f));
    }
  }
}

function copyHere(from: string, to: string): void {
  try {
    fs.cpSync(from, to, { recursive: true, preserveTimestamps: true, force: true, dereference: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC') throw new WorkbenchError('DISK_FULL', `No space left copying ${from} to ${to}.`, 'Free space there, then retry the job.', { cause: err });
    throw new WorkbenchError('CLUSTER_COPY_FAILED', `Copying ${from} to ${to} failed: ${e.code ?? e.message}.`, 'Check that both places exist and can be written.', { cause: err });
  }
}

/** An ssh config for tests and unusual setups (`ssh -F`); unset, ssh reads ~/.ssh/config as always. */
export const SSH_CONFIG_ENV = 'SAE_WORKBENCH_SSH_CONFIG';

function sshOptions(host: string): string[] {
  const config = process.env[SSH_CONFIG_ENV];
  // The socket path must stay short (sun_path holds ~100 bytes): a hash of who and where.
  const tag = createHash('sha256').update(`${config ?? ''}\0${host}`).digest('hex').slice(0, 12);
  const control = path.join(os.tmpdir(), `sae-wb-ssh-${process.getuid?.() ?? 0}-${tag}`);
  return [
    ...(config ? ['-F', config] : []),
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=15',
    '-o', 'ServerAliveInterval=15',
    '-o', 'ServerAliveCountMax=3',
    '-o', 'ControlMaster=auto',
    '-o', `ControlPath=${control}`,
    '-o', 'ControlPersist=120',
  ];
}

/** What an ssh exit status 255 means, in words, from ssh's own message. */
export function sshFailure(host: string, stderr: string): WorkbenchError {
  const said = stderr.trim().split('\n').filter((l) => l.trim() && !/^Warning: Permanently added/.test(l)).slice(-3).join(' / ') || 'no message';
  if (/Permission denied|Too many authentication failures|no matching host key type|Authentication failed/i.test(stderr)) {
    return new WorkbenchError('CLUSTER_AUTH_FAILED', `ssh ${host}: authentication failed (${said}).`, `The app logs in with your own OpenSSH keys and never asks for a password: check that \`ssh ${host} true\` works in a terminal without a prompt (ssh-add your key, or set IdentityFile for this Host in ~/.ssh/config).`);
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(stderr)) {
    return new WorkbenchError('CLUSTER_HOST_KEY', `ssh ${host}: the host key is not known or has changed (${said}).`, `Connect once with \`ssh ${host}\` in a terminal and check the fingerprint, so ~/.ssh/known_hosts has it.`);
  }
  return new WorkbenchError('CLUSTER_UNREACHABLE', `ssh ${host}: cannot reach the cluster (${said}).`, `Check the host name and your network: does \`ssh ${host} true\` work in a terminal?`);
}

export class SshShell implements ClusterShell {
  readonly reached: string;

  constructor(private readonly host: string) {
    this.reached = `ssh ${host}`;
  }

  async run(script: string, options: { timeoutMs?: number } = {}): Promise<ShellResult> {
    let res: ShellResult;
    try {
      res = await exec('ssh', [...sshOptions(this.host), this.host, 'bash -s'], script, options.timeoutMs ?? RUN_TIMEOUT_MS);
    } catch (err) {
      throw new WorkbenchError('CLUSTER_SSH_MISSING', `ssh could not be started (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, 'Install OpenSSH\'s client (ssh) on this machine.', { cause: err });
    }
    if (res.code === 255) throw sshFailure(this.host, res.stderr);
    if (res.code === 124) throw new WorkbenchError('CLUSTER_UNREACHABLE', `ssh ${this.host}: no answer within ${Math.round((options.timeoutMs ?? RUN_TIMEOUT_MS) / 1000)} s.`, 'The login node may be overloaded or unreachable; the job is followed again once it answers.');
    return res;
  }

  private async rsync(from: string, to: string, extra: string[] = []): Promise<void> {
    const ssh = ['ssh', ...sshOptions(this.host)].join(' ');
    let res: ShellResult;
    try {
      res = await exec('rsync', ['-a', '--partial', '--protect-args', ...extra, '-e', ssh, from, to], null, COPY_TIMEOUT_MS);
    } catch (err) {
      throw new WorkbenchError('CLUSTER_RSYNC_MISSING', `rsync could not be started (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, 'Install rsync on this machine (and on the cluster\'s login node).', { cause: err });
    }
    if (res.code === 0) return;
    if (res.code === 255 || /connection unexpectedly closed|ssh:/i.test(res.stderr)) {
      if (/rsync: (command )?not found|rsync: not found/i.test(res.stderr)) throw new WorkbenchError('CLUSTER_RSYNC_MISSING', `rsync is not installed on ${this.host}.`, 'Ask the cluster\'s admins for rsync on the login node, or use a profile with --via local from a machine that mounts the cluster\'s storage.');
      throw sshFailure(this.host, res.stderr);
    }
    if (/No space left on device/i.test(res.stderr)) throw new WorkbenchError('DISK_FULL', `No space left copying ${from} to ${to}: ${res.stderr.trim().split('\n').slice(-1)[0]}`, 'Free space on the full side, then retry the job.');
    throw new WorkbenchError('CLUSTER_COPY_FAILED', `rsync ${from} -> ${to} failed (exit ${res.code}): ${res.stderr.trim().split('\n').slice(-2).join(' / ')}`, 'Check that the paths exist and can be written on both sides.');
  }

  upload(local: string, remote: string): Promise<void> {
    // Links followed (-L): an HF cache snapshot's files are links into its blobs.
    const folder = fs.statSync(local).isDirectory();
    return this.rsync(folder ? `${local}/` : local, `${this.host}:${remote}${folder ? '/' : ''}`, ['-L']);
  }

  async downloadFiles(remoteRoot: string, files: string[], localRoot: string): Promise<void> {
    fs.mkdirSync(localRoot, { recursive: true });
    const list = path.join(localRoot, `.files-from-${process.pid}`);
    fs.writeFileSync(list, files.map((f) => f.replace(/^\.\//, '')).join('\n') + '\n');
    try {
      await this.rsync(`${this.host}:${remoteRoot}/`, `${localRoot}/`, [`--files-from=${list}`]);
    } finally {
      fs.rmSync(list, { force: true });
    }
  }
}

export function shellFor(profile: Pick<ClusterProfile, 'via' | 'host'>): ClusterShell {
  return profile.via === 'ssh' ? new SshShell(profile.host!) : new LocalShell();
}
