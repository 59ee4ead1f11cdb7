import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../preload/api';
import { summariseJson } from '../jobs/jsonSummary';
import { call, waitForJob } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';
import { createCore } from './core';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('job lists and events carry summaries, jobs.get the whole job', () => {
  it('a 200,000-path job: list and event payloads stay small, jobs.get and the worker see every path', async () => {
    const home = makeTempDir('jobs-summary');
    cleanups.push(home.cleanup);
    const core = createCore({ home: home.dir, frontDoor: 'test' });
    cleanups.push(() => core.close());
    const events: string[] = [];
    core.subscribe((event, payload) => event === 'job.updated' && events.push(JSON.stringify(payload)));
    const paths = Array.from({ length: 200_000 }, (_, i) => `/data/corpus/shard-${String(i).padStart(6, '0')}/part.parquet`);
    const added = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths } });
    expect(added.summarised).toBe(true);
    const failed = await waitForJob(core, added.id, (j) => j.state === 'failed');
    // The worker had the full list: it failed on the first path, which does not exist.
    expect(failed.error?.message).toContain(paths[0]);

    const list = JSON.stringify(await call<JobView[]>(core, 'jobs.list', {}));
    const full = await call<JobView>(core, 'jobs.get', { id: added.id });
    const fullBytes = JSON.stringify(full).length;
    expect(full.summarised).toBe(false);
    expect((full.params as { paths: string[] }).paths).toEqual(paths);
    expect(fullBytes).toBeGreaterThan(7_000_000);
    expect(list.length).toBeLessThan(4_000);
    expect(events.length).toBeGreaterThan(1);
    for (const e of events) expect(e.length).toBeLessThan(4_000);
    const listed = JSON.parse(list)[0] as JobView;
    expect(listed.params).toEqual({ paths: { $summary: 'array', length: 200_000, first: paths.slice(0, 5) } });
  });

  it('summaries keep small values and scalars whole and say what they cut', () => {
    expect(summariseJson({ repoId: 'a/b', keepPartialOnCancel: true, files: ['x', 'y'] })).toEqual({ value: { repoId: 'a/b', keepPartialOnCancel: true, files: ['x', 'y'] }, cut: false });
    const long = 'z'.repeat(5000);
    expect(summariseJson({ text: long })).toEqual({ value: { text: { $summary: 'string', length: 5000, start: long.slice(0, 200) } }, cut: true });
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]));
    expect(summariseJson(many).value).toMatchObject({ $summary: 'object', keys: 60 });
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    expect(JSON.stringify(summariseJson(deep).value)).toContain('"depth":8');
    const wide = Array.from({ length: 20 }, () => 'w'.repeat(1000));
    expect(summariseJson({ a: wide, b: wide }).value).toEqual({ $summary: 'value', bytes: JSON.stringify({ a: wide, b: wide }).length });
  });
});
