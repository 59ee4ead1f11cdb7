import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileLogger } from './log';
import { makeTempDir } from './testing/tempDirs';

const tmp = makeTempDir('log');
afterAll(() => tmp.cleanup());

describe('logging onto a full disk', () => {
  it('drops lines it cannot write without retrying them, and says how many once the disk takes writes again', async () => {
    const home = path.join(tmp.dir, 'home');
    fs.mkdirSync(path.join(home, 'logs'), { recursive: true });
    const file = path.join(home, 'logs', 'core.log');
    // Every write to /dev/full fails with ENOSPC, as on a full disk.
    fs.symlinkSync('/dev/full', file);
    const log = createFileLogger(home, { echo: false });
    const t = Date.now();
    for (let i = 0; i < 10_000; i++) log.log('info', 'test', `line ${i}`);
    expect(Date.now() - t).toBeLessThan(2000);
    // One failed write, then the backoff: no write per line.
    expect(log.attempts).toBe(1);
    expect(log.dropped).toBe(10_000);

    fs.rmSync(file);
    await new Promise((r) => setTimeout(r, 1100));
    log.log('info', 'test', 'space is back');
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { message: string });
    expect(lines.map((l) => l.message)).toEqual([`10000 log line(s) were dropped while ${file} could not be written (ENOSPC)`, 'space is back']);
    expect(log.dropped).toBe(0);
  });

  it('a core whose stderr is on a full disk neither spins nor loops on its own error reports', async () => {
    const home = path.join(tmp.dir, 'stderr-home');
    const full = fs.openSync('/dev/full', 'w');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'testing/fullStderrChild.ts'), home], { stdio: ['ignore', 'pipe', full] });
    fs.closeSync(full);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, out).toBe(0);
    const report = JSON.parse(out) as { stderrAttempts: number; uncaught: number };
    // 5,001 lines for stderr, tried once (then backed off); the exception was reported once, not again and again.
    expect(report.stderrAttempts).toBeLessThanOrEqual(2);
    expect(report.uncaught).toBe(1);
  }, 60_000);
});
