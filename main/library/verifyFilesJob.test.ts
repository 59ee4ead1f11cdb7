import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../preload/api';
import { createCore, type Core } from '../api/core';
import { call, waitForJob } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';

const tmp = makeTempDir('verify');
const core: Core = createCore({ home: path.join(tmp.dir, 'home'), frontDoor: 'test' });
afterAll(async () => {
  await core.close();
  tmp.cleanup();
});

async function verify(paths: string[], timeoutMs = 60_000): Promise<JobView> {
  const job = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths } });
  await waitForJob(core, job.id, (j) => ['completed', 'failed', 'interrupted'].includes(j.state), timeoutMs);
  return call<JobView>(core, 'jobs.get', { id: job.id });
}

describe('files.verify lists what it could not check', () => {
  const fifo = path.join(tmp.dir, 'pipe');
  const loopOnly = path.join(tmp.dir, 'loop-only');
  const mixed = path.join(tmp.dir, 'mixed');
  spawnSync('mkfifo', [fifo]);
  fs.mkdirSync(loopOnly);
  fs.symlinkSync('.', path.join(loopOnly, 'loop'));
  fs.mkdirSync(mixed);
  fs.writeFileSync(path.join(mixed, 'a.txt'), 'hello');
  spawnSync('mkfifo', [path.join(mixed, 'b.fifo')]);
  fs.symlinkSync('.', path.join(mixed, 'self'));

  it.each([
    ['/dev/zero', '/dev/zero', 'a device, not a regular file; not read'],
    ['a FIFO', fifo, 'a named pipe (FIFO), not a regular file; not read'],
    // The worker's stdin: /dev/null.
    ['/proc/self/fd/0', '/proc/self/fd/0', 'not a regular file; not read'],
    ['a folder holding only a symlink loop', loopOnly, `a link to a folder already walked (${loopOnly}): a symlink loop or a second link; not followed`],
  ])('%s: nothing verified is a failure naming the path and why, never an empty pass', async (_label, p, why) => {
    const job = await verify([p]);
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('FILE_NOT_FOUND');
    expect(job.error?.message).toContain(p);
    expect(job.error?.message).toContain(why);
  });

  it('a folder with a file, a FIFO and a link to itself: the file verified, the FIFO unreadable, the loop skipped', async () => {
    const job = await verify([mixed]);
    expect(job.state).toBe('completed');
    const result = job.result as { files: { path: string }[]; unreadable: { path: string; error: string }[]; skipped: { path: string; why: string }[] };
    expect(result.files.map((f) => path.basename(f.path))).toEqual(['a.txt']);
    expect(result.unreadable).toEqual([{ path: path.join(mixed, 'b.fifo'), error: 'a named pipe (FIFO), not a regular file; not read' }]);
    expect(result.skipped).toEqual([{ path: path.join(mixed, 'self'), why: `a link to a folder already walked (${mixed}): a symlink loop or a second link; not followed` }]);
  });
});

describe('files.verify at the size the contract names', () => {
  it('200,000 paths: every file verified and the result delivered (the worker waits for it to leave)', async () => {
    const dir = path.join(tmp.dir, 'many');
    fs.mkdirSync(dir);
    // Hard links to 8 small files (a file system allows ~65,000 links to one).
    const sources = Array.from({ length: 8 }, (_, i) => {
      const f = path.join(tmp.dir, `source-${i}.txt`);
      fs.writeFileSync(f, `content ${i}`);
      return f;
    });
    const paths = Array.from({ length: 200_000 }, (_, i) => {
      const p = path.join(dir, `f${String(i).padStart(6, '0')}`);
      fs.linkSync(sources[i % 8], p);
      return p;
    });
    const job = await verify(paths, 240_000);
    expect(job.state, JSON.stringify(job.error)).toBe('completed');
    const result = job.result as { files: { path: string; sha256: string }[]; unreadable: unknown[] };
    expect(result.files).toHaveLength(200_000);
    expect(result.unreadable).toEqual([]);
    expect(new Set(result.files.map((f) => f.sha256)).size).toBe(8);
    const logs = await call<unknown[]>(core, 'jobs.logs', { id: job.id, limit: 1000 });
    expect(logs.length).toBeLessThan(100);
  }, 300_000);

  it('200,000 missing paths: a FILE_NOT_FOUND failure naming the first few, not a crashed worker', async () => {
    const paths = Array.from({ length: 200_000 }, (_, i) => path.join(tmp.dir, 'absent', `f${i}`));
    const job = await verify(paths, 240_000);
    expect(job.error).toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining(`${paths[0]} (does not exist)`) });
    expect(job.error?.message).toContain('and 199995 more');
  }, 300_000);
});
