/**
 * A real full disk for tests: a small tmpfs mounted in a private mount namespace (`unshare`;
 * `-r` maps the user to root where it is not root already), with a script run inside it. The
 * mount lives as long as the script's process tree and is seen by nothing else.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const projectRoot = path.resolve(import.meta.dirname, '../..');

/**
 * Run `script` (a TypeScript file, with `args`) with a `sizeMiB` tmpfs mounted at `mountPoint`
 * (created if missing). Resolves with its exit code and what it printed.
 */
export function runOnSmallDisk(mountPoint: string, sizeMiB: number, script: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  fs.mkdirSync(mountPoint, { recursive: true });
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const inner = `mount -t tmpfs -o size=${sizeMiB}m tmpfs ${quote(mountPoint)} && exec ${quote(process.execPath)} --import tsx ${[script, ...args].map(quote).join(' ')}`;
  const unshareArgs = process.getuid?.() === 0 ? ['-m'] : ['-r', '-m'];
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', [...unshareArgs, 'sh', '-c', inner], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HF_HUB_OFFLINE: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}
