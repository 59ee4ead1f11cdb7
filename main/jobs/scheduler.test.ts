import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../preload/api';
import { createCore, type Core } from '../api/core';
import { makeSparseFiles, makeTempDir } from '../testing/tempDirs';
import { call, waitForJob as waitFor } from '../testing/coreCalls';
import { isProcessAlive } from '../lock';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startCore(home?: string): { core: Core; home: string } {
  const h = home ?? track(makeTempDir('home'));
  const core = createCore({ home: h, frontDoor: 'test' });
  cleanups.push(() => core.close());
  return { core, home: h };
}

function track(t: { dir: string; cleanup: () => void }): string {
  cleanups.push(t.cleanup);
  return t.dir;
}

function workerPid(home: string, id: string, core: Core): Promise<number> {
  return call<{ message: string }[]>(core, 'jobs.logs', { id }).then((lines) => {
    const m = lines.map((l) => /worker pid (\d+)/.exec(l.message)).filter(Boolean).pop();
    if (!m) throw new Error(`no worker pid logged for ${id} in ${home}`);
    return Number(m[1]);
  });
}

describe('job scheduler with real worker processes', () => {
  it('runs a job to completion in a worker and commits its result and log', async () => {
    const { core } = startCore();
    const dir = track(makeTempDir('files'));
    fs.writeFileSync(path.join(dir, 'a.txt'), 'hello');
    const expected = createHash('sha256').update('hello').digest('hex');
    const job = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [dir], expected: { [path.join(dir, 'a.txt')]: expected } } });
    const done = await waitFor(core, job.id, (j) => j.state === 'completed');
    expect(done.progress).toBe(1);
    expect((done.result as { files: { sha256: string; matches: boolean }[] }).files).toEqual([expect.objectContaining({ sha256: expected, matches: true })]);
    expect(done.attempts).toBe(1);
    const logs = await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id });
    expect(logs.map((l) => l.message).join('\n')).toMatch(/Completed/);
  });

  it('fails a job with the error its kind raised (code, message naming the file, hint)', async () => {
    const { core } = startCore();
    const dir = track(makeTempDir('files'));
    const file = path.join(dir, 'b.bin');
    fs.writeFileSync(file, 'not what was expected');
    const job = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [file], expected: { [file]: '0'.repeat(64) } } });
    const failed = await waitFor(core, job.id, (j) => j.state === 'failed');
    expect(failed.error).toMatchObject({ code: 'CHECKSUM_MISMATCH', hint: expect.any(String) });
    expect(failed.error!.message).toContain(file);
  });

  it('files.verify records unreadable files in its result and carries on with the others', async () => {
    const { core } = startCore();
    const dir = track(makeTempDir('files'));
    fs.writeFileSync(path.join(dir, 'a.txt'), 'hello');
    fs.symlinkSync(path.join(dir, 'gone'), path.join(dir, 'dangling'));
    // Linux: stat says a regular file, reading it fails with EIO, as a failing disk would.
    fs.symlinkSync('/proc/self/mem', path.join(dir, 'z-unreadable'));
    const missing = path.join(dir, 'no-such-file');
    const job = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [dir, missing] } });
    const done = await waitFor(core, job.id, (j) => j.state === 'completed' || j.state === 'failed');
    expect(done.state).toBe('completed');
    const result = done.result as { files: { path: string }[]; unreadable: { path: string; error: string }[] };
    expect(result.files.map((f) => path.basename(f.path))).toEqual(['a.txt']);
    expect(result.unreadable.map((u) => [path.basename(u.path), u.error])).toEqual([
      ['dangling', 'does not exist'],
      ['no-such-file', 'does not exist'],
      ['z-unreadable', expect.stringContaining('EIO')],
    ]);
    const log = (await call<{ level: string; message: string }[]>(core, 'jobs.logs', { id: job.id })).filter((l) => l.level === 'warn').map((l) => l.message);
    expect(log).toHaveLength(3);
    // Nothing readable at all is a failure that names each path.
    const none = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [missing] } });
    expect((await waitFor(core, none.id, (j) => j.state === 'failed')).error).toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining(missing) });
  });

  it('files.verify never passes what it did not check: folders it could not enter, expected files it never reached', async () => {
    const { core } = startCore();
    const dir = track(makeTempDir('files'));
    fs.writeFileSync(path.join(dir, 'a.txt'), 'hello');
    // Deeper than the walk's 32 levels (a permission error would do the same; tests run as root).
    const deep = path.join(dir, ...Array.from({ length: 34 }, (_, i) => `d${i}`));
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(deep, 'deep.txt'), 'x');
    const job = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [dir] } });
    const done = await waitFor(core, job.id, (j) => j.state === 'completed' || j.state === 'failed');
    const result = done.result as { files: { path: string }[]; unreadable: { path: string; error: string }[] };
    expect(result.files.map((f) => path.basename(f.path))).toEqual(['a.txt']);
    expect(done.state).toBe('completed');
    expect(result.unreadable).toEqual([{ path: expect.stringMatching(/d31\/d32$/), error: 'deeper than 32 folders; not walked' }]);

    const hello = createHash('sha256').update('hello').digest('hex');
    const missing = path.join(dir, 'b.txt');
    const partial = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [path.join(dir, 'a.txt')], expected: { [path.join(dir, 'a.txt')]: hello, [missing]: hello } } });
    const failed = await waitFor(core, partial.id, (j) => j.state === 'failed' || j.state === 'completed');
    expect(failed.error).toMatchObject({ code: 'FILE_NOT_FOUND', message: `1 file(s) with an expected sha256 could not be checked: ${missing} (has an expected sha256 but was not found under the given paths).` });
  });

  it('rejects invalid calls with typed errors instead of crashing', async () => {
    const { core } = startCore();
    expect(await core.call('jobs.add', { kind: 'files.verify', params: { paths: [] } })).toMatchObject({ ok: false, error: { code: 'INVALID_JOB_PARAMS' } });
    // An unknown key is named, and the hint lists the valid ones.
    expect(await core.call('jobs.add', { kind: 'files.verify', params: { paths: ['/x'], path: '/y' } })).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_JOB_PARAMS',
        message: 'Invalid parameters for a "files.verify" job: unknown key "path".',
        hint: 'Valid keys: paths (list of strings, required), expected (object).',
      },
    });
    const kinds = await call<{ kind: string; paramsSchema: { properties: Record<string, { description?: string }>; required: string[] } }[]>(core, 'jobs.kinds', {});
    const verify = kinds.find((k) => k.kind === 'files.verify')!;
    expect(Object.keys(verify.paramsSchema.properties)).toEqual(['paths', 'expected']);
    expect(verify.paramsSchema.required).toEqual(['paths']);
    expect(verify.paramsSchema.properties.paths.description).toMatch(/^Files or folders to hash/);
    expect(await core.call('jobs.add', { kind: 'no.such.kind', params: {} })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_JOB_KIND' } });
    expect(await core.call('jobs.add', { kind: 42 })).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    expect(await core.call('no.such.method', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(await core.call('jobs.cancel', { id: '20000101-00000000' })).toMatchObject({ ok: false, error: { code: 'JOB_NOT_FOUND' } });
  });

  it('cancelling a running job really stops its worker process', async () => {
    const { core, home } = startCore();
    const files = makeSparseFiles(track(makeTempDir('big')), 6, 2 * 2 ** 30);
    const job = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: files } });
    await waitFor(core, job.id, (j) => j.state === 'running' && (j.progress ?? 0) > 0);
    const pid = await workerPid(home, job.id, core);
    expect(isProcessAlive(pid)).toBe(true);
    await call(core, 'jobs.cancel', { id: job.id });
    const cancelled = await waitFor(core, job.id, (j) => j.state === 'cancelled');
    expect(cancelled.progress).toBeLessThan(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(isProcessAlive(pid)).toBe(false);
  });

  it('pause checkpoints and stops; resume continues from the checkpoint instead of starting over', async () => {
    const { core } = startCore();
    const files = makeSparseFiles(track(makeTempDir('many')), 12, 256 << 20);
    const job = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: files } });
    await waitFor(core, job.id, (j) => (j.progress ?? 0) > 0.2);
    await call(core, 'jobs.pause', { id: job.id });
    const paused = await waitFor(core, job.id, (j) => j.state === 'paused');
    expect(paused.progress).toBeLessThan(1);
    await call(core, 'jobs.resume', { id: job.id });
    const done = await waitFor(core, job.id, (j) => j.state === 'completed');
    expect((done.result as { files: unknown[] }).files).toHaveLength(12);
    expect(done.attempts).toBe(2);
    const logs = (await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id })).map((l) => l.message).join('\n');
    expect(logs).toMatch(/Continuing: [1-9]\d* of 12 files were verified before/);
  });

  it('a worker killed with SIGKILL does not take the app down; a resumable job retries from its checkpoint', async () => {
    const { core, home } = startCore();
    const files = makeSparseFiles(track(makeTempDir('kill')), 10, 256 << 20);
    const job = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: files } });
    await waitFor(core, job.id, (j) => (j.progress ?? 0) > 0.25);
    process.kill(await workerPid(home, job.id, core), 'SIGKILL');
    const done = await waitFor(core, job.id, (j) => j.state === 'completed');
    expect(done.attempts).toBe(2);
    const logs = (await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id })).map((l) => l.message).join('\n');
    expect(logs).toMatch(/Worker died \(signal SIGKILL\)\. Retrying from the last checkpoint/);
    expect(logs).toMatch(/Continuing: [1-9]\d* of 10 files were verified before/);
    // The core still answers.
    expect((await core.call('app.info', {})).ok).toBe(true);
  });

  it('runs CPU jobs within the concurrency limit, in queue order, and reorders waiting jobs', async () => {
    const { core } = startCore();
    await call(core, 'jobs.settings', { cpuConcurrency: 1 });
    const dir = track(makeTempDir('order'));
    const files = makeSparseFiles(dir, 3, 512 << 20);
    const first = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [files[0]] } });
    const second = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [files[1]] } });
    const third = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [files[2]] } });
    expect((await call<JobView>(core, 'jobs.get', { id: second.id })).state).toBe('queued');
    await call(core, 'jobs.move', { id: third.id, direction: -1 });
    const order: string[] = [];
    core.subscribe((event, payload) => {
      const j = payload as JobView;
      if (event === 'job.updated' && j.state === 'running' && j.id !== first.id && !order.includes(j.id)) order.push(j.id);
    });
    await waitFor(core, second.id, (j) => j.state === 'completed');
    expect(order).toEqual([third.id, second.id]);
    expect((await call<JobView>(core, 'jobs.get', { id: first.id })).state).toBe('completed');
  });

  it('after the core process is killed, its worker exits and the restarted core resumes the job from its checkpoint', async () => {
    const home = track(makeTempDir('restart'));
    const files = makeSparseFiles(path.join(home, 'data'), 8, 256 << 20);
    // The first core runs in its own process (the CLI waiting on a job), so it can really be killed.
    const cli = spawn(process.execPath, ['--import', 'tsx', 'main/cli/main.ts', 'jobs', 'add', 'files.verify', '--params', JSON.stringify({ paths: files }), '--wait', '--home', home], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path.join(home, 'workbench.sqlite'), { timeout: 5000 });
    cleanups.push(() => {
      db.close();
    });
    const progressOf = () => {
      try {
        return db.prepare("SELECT id, progress FROM jobs WHERE kind = 'files.verify'").get() as { id: string; progress: number | null } | undefined;
      } catch {
        return undefined; // the CLI has not created the schema yet
      }
    };
    for (let i = 0; i < 600 && !((progressOf()?.progress ?? 0) > 0.3); i++) await new Promise((r) => setTimeout(r, 100));
    const jobId = progressOf()!.id;
    const pidLine = (db.prepare("SELECT message FROM job_logs WHERE job_id = ? AND message LIKE '%worker pid%'").get(jobId) as { message: string }).message;
    const worker = Number(/worker pid (\d+)/.exec(pidLine)![1]);
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('exit', r));
    for (let i = 0; i < 50 && isProcessAlive(worker); i++) await new Promise((r) => setTimeout(r, 100));
    expect(isProcessAlive(worker)).toBe(false);
    expect((db.prepare('SELECT state FROM jobs WHERE id = ?').get(jobId) as { state: string }).state).toBe('running');

    const { core } = startCore(home);
    const done = await waitFor(core, jobId, (j) => j.state === 'completed');
    const logs = (await call<{ message: string }[]>(core, 'jobs.logs', { id: jobId })).map((l) => l.message).join('\n');
    expect(logs).toMatch(/re-queued and continues from its last checkpoint/);
    expect(logs).toMatch(/Continuing: [1-9]\d* of 8 files were verified before/);
    expect((done.result as { files: unknown[] }).files).toHaveLength(8);
  });
});
