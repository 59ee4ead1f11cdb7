import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireHomeLock, homeLockOwner } from './lock';
import { makeTempDir } from './testing/tempDirs';

const here = path.dirname(fileURLToPath(import.meta.url));
const temp = makeTempDir('lock');
afterAll(() => temp.cleanup());

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve) => child.once('message', (m) => resolve(m as T)));
}

/** A pid that is certainly dead: a process that has exited. */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => p.once('exit', r));
  return p.pid!;
}

describe('home lock', () => {
  it('is exclusive within a process and released by its owner', () => {
    const home = path.join(temp.dir, 'simple');
    fs.mkdirSync(home);
    const release = acquireHomeLock(home);
    expect(homeLockOwner(home)).toBe(process.pid);
    expect(() => acquireHomeLock(home)).toThrowError(expect.objectContaining({ code: 'HOME_IN_USE', message: expect.stringContaining(`pid ${process.pid}`) }));
    release();
    expect(homeLockOwner(home)).toBeNull();
    acquireHomeLock(home)();
  });

  it('a lock left by a killed process is taken over', async () => {
    const home = path.join(temp.dir, 'killed');
    fs.mkdirSync(home);
    const child = fork(path.join(here, 'testing/lockRaceChild.ts'), [], { execArgv: ['--import', 'tsx'] });
    await nextMessage(child);
    child.send({ type: 'race', home, at: 0 });
    expect(await nextMessage(child)).toEqual({ won: true });
    expect(() => acquireHomeLock(home)).toThrowError(expect.objectContaining({ code: 'HOME_IN_USE' }));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The pid file still names the dead owner; the OS dropped its lock with the process.
    expect(fs.readFileSync(path.join(home, 'core.lock'), 'utf8')).toBe(String(child.pid));
    // Even when that pid is alive again (reused by another process), nobody owns the home.
    fs.writeFileSync(path.join(home, 'core.lock'), String(process.ppid));
    expect(homeLockOwner(home)).toBeNull();
    const release = acquireHomeLock(home);
    expect(homeLockOwner(home)).toBe(process.pid);
    release();
  });

  it('never has two winners when several processes race to take over a stale lock (many trials)', async () => {
    const racers = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const child = fork(path.join(here, 'testing/lockRaceChild.ts'), [], { execArgv: ['--import', 'tsx'] });
        await nextMessage(child);
        return child;
      }),
    );
    const stale = await deadPid();
    const trials = 40;
    const winners: number[] = [];
    for (let t = 0; t < trials; t++) {
      const home = path.join(temp.dir, `race-${t}`);
      fs.mkdirSync(home);
      fs.writeFileSync(path.join(home, 'core.lock'), String(stale));
      const at = Date.now() + 30;
      const results = await Promise.all(
        racers.map((c) => {
          const reply = nextMessage<{ won: boolean; code?: string }>(c);
          c.send({ type: 'race', home, at });
          return reply;
        }),
      );
      for (const r of results) if (!r.won) expect(r.code).toBe('HOME_IN_USE');
      winners.push(results.filter((r) => r.won).length);
      await Promise.all(
        racers.map((c) => {
          const done = nextMessage(c);
          c.send({ type: 'release' });
          return done;
        }),
      );
    }
    for (const c of racers) c.send({ type: 'exit' });
    expect(winners.filter((w) => w !== 1)).toEqual([]);
    expect(winners).toHaveLength(trials);
  });
});
