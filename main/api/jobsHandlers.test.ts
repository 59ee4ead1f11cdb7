import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../preload/api';
import { summariseJson } from '../jobs/jsonSummary';
import { call, waitForJob } from '../testing/coreCalls';
import { makeSparseFiles, makeTempDir } from '../testing/tempDirs';
import { createCore } from './core';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('job lists and events carry summaries, jobs.get the whole job', () => {
  it('a 200,000-path job: list and event payloads stay small, jobs.get has every path', async () => {
    const home = makeTempDir('jobs-summary');
    cleanups.push(home.cleanup);
    const core = createCore({ home: home.dir, frontDoor: 'test' });
    cleanups.push(() => core.close());
    // One CPU slot, taken by a long job: the big one waits in the queue while we look at it.
    await call(core, 'jobs.settings', { cpuConcurrency: 1 });
    const [blockerFile] = makeSparseFiles(path.join(home.dir, 'big'), 1, 64 << 30);
    const blocker = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [blockerFile] } });
    await waitForJob(core, blocker.id, (j) => j.state === 'running');
    const events: string[] = [];
    core.subscribe((event, payload) => event === 'job.updated' && events.push(JSON.stringify(payload)));
    const paths = Array.from({ length: 200_000 }, (_, i) => `/data/corpus/shard-${String(i).padStart(6, '0')}/part.parquet`);
    const added = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths } });
    expect(added.summarised).toBe(true);
    expect(added.state).toBe('queued');
    await call(core, 'jobs.move', { id: added.id, direction: -1 });

    const list = JSON.stringify(await call<JobView[]>(core, 'jobs.list', {}));
    const full = await call<JobView>(core, 'jobs.get', { id: added.id });
    const fullBytes = JSON.stringify(full).length;
    expect(full.summarised).toBe(false);
    expect((full.params as { paths: string[] }).paths).toEqual(paths);
    expect(fullBytes).toBeGreaterThan(7_000_000);
    expect(list.length).toBeLessThan(4_000);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.length).toBeLessThan(4_000);
    const listed = (JSON.parse(list) as JobView[]).find((j) => j.id === added.id)!;
    expect(listed.params).toEqual({ paths: { $summary: 'array', length: 200_000, first: paths.slice(0, 5) } });
    await call(core, 'jobs.cancel', { id: added.id });
    await call(core, 'jobs.cancel', { id: blocker.id });
  });

  it('summaries keep small values and scalars whole and say what they cut', () => {
    expect(summariseJson({ repoId: 'a/b', keepPartialOnCancel: true, files: ['x', 'y'] })).toEqual({ value: { repoId: 'a/b', keepPartialOnCancel: true, files: ['x', 'y'] }, cut: false });
    const long = 'z'.repeat(5000);
    expect(summariseJson({ text: long })).toEqual({ value: { text: { $summary: 'string', length: 5000, start: long.slice(0, 200) } }, cut: true });
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]));
    expect(summariseJson(many).value).toMatchObject({ $summary: 'object', keys: 60 });
    // A wide top-level object still answers its scalars by name (the first 50 of them).
    const wideTop = { ...Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, [i]])), verdict: 'within', repoId: 'a/b' };
    expect(summariseJson(wideTop).value).toMatchObject({ $summary: 'object', keys: 62, verdict: 'within', repoId: 'a/b' });
    expect(summariseJson({ nested: many }).value).toEqual({ nested: { $summary: 'object', keys: 60, first: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i])) } });
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    expect(JSON.stringify(summariseJson(deep).value)).toContain('"depth":8');
    const wide = Array.from({ length: 20 }, () => 'w'.repeat(1000));
    expect(summariseJson({ a: wide, b: wide, verdict: 'B-only', n: 3 }).value).toEqual({ $summary: 'value', bytes: JSON.stringify({ a: wide, b: wide, verdict: 'B-only', n: 3 }).length, verdict: 'B-only', n: 3 });
  });
});

describe('jobs.clearFinished (the Queue\'s "Clear finished")', () => {
  it('removes finished jobs from the list, announces each, skips unfinished ones, and deletes no file', async () => {
    const home = makeTempDir('jobs-clear');
    cleanups.push(home.cleanup);
    const core = createCore({ home: home.dir, frontDoor: 'test' });
    cleanups.push(() => core.close());
    const dir = makeTempDir('jobs-clear-data');
    cleanups.push(dir.cleanup);
    fs.writeFileSync(path.join(dir.dir, 'a.txt'), 'a');
    const done = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [dir.dir] } });
    await waitForJob(core, done.id, (j) => j.state === 'completed');
    const other = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [dir.dir] } });
    await waitForJob(core, other.id, (j) => j.state === 'completed');
    // One slot taken by a long job: a second one waits, unfinished.
    await call(core, 'jobs.settings', { cpuConcurrency: 1 });
    const [bigFile] = makeSparseFiles(path.join(home.dir, 'big'), 1, 64 << 30);
    const running = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [bigFile] } });
    const waiting = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [dir.dir] } });
    const removedEvents: string[] = [];
    core.subscribe((event, payload) => event === 'job.removed' && removedEvents.push((payload as { id: string }).id));

    const cleared = await call<{ removed: string[] }>(core, 'jobs.clearFinished', { ids: [done.id, waiting.id, running.id] });
    expect(cleared.removed).toEqual([done.id]);
    expect(removedEvents).toEqual([done.id]);
    expect(fs.existsSync(path.join(home.dir, 'runs', done.id))).toBe(true);
    // Without ids: every finished job.
    expect((await call<{ removed: string[] }>(core, 'jobs.clearFinished', {})).removed).toEqual([other.id]);
    expect((await call<JobView[]>(core, 'jobs.list', {})).map((j) => j.id).sort()).toEqual([running.id, waiting.id].sort());
    await call(core, 'jobs.cancel', { id: running.id });
  });
});
