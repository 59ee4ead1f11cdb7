import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConditionPreview, DiffResult, FeatureCounterpart, JobView, MatchResult, SavedCondition } from '../../preload/api';
import { FIXTURE_WORDS, writeExperimentFixture, type ExperimentFixture } from '../experiments/testing/experimentFixture';
import { SeededRandom } from '../random/seededRandom';
import { call, waitForJob } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';
import { openDatabase } from '../db/connection';
import { runDir } from '../home';
import { IndexRegistry } from '../index/indexRegistry';
import { createCore, type Core } from './core';

/**
 * Issue 16: compare.previewCondition with context-regex:^([\s\S]+)+!$ ran V8's backtracking
 * RegExp on the core's main thread and hung it (health gone, SIGTERM ignored); a saved named:
 * condition carried it, and a queued diff ran forever. Conditions now match in linear time.
 */
const CATASTROPHIC = 'context-regex:^([\\s\\S]+)+!$';
const tmp = makeTempDir('compare-api');
let fx: ExperimentFixture;
let core: Core;
let a: string;
let b: string;

async function buildIndex(model: string, dataset: string): Promise<string> {
  const job = await call<JobView>(core, 'index.build', { modelPath: model, saePaths: [fx.sae], datasetPath: dataset, device: 'cpu', topN: 5 });
  const done = await waitForJob(core, job.id, (j) => j.state === 'completed' || j.state === 'failed', 90_000);
  expect(done.state, JSON.stringify(done.error)).toBe('completed');
  return (done.result as { indexIds: string[] }).indexIds[0];
}

beforeAll(async () => {
  fx = writeExperimentFixture(path.join(tmp.dir, 'fixture'));
  // Documents long enough that the context before their last tokens is the whole 400-character window.
  const rng = new SeededRandom(4);
  const dataset = path.join(tmp.dir, 'long.jsonl');
  fs.writeFileSync(dataset, Array.from({ length: 6 }, () => JSON.stringify({ text: Array.from({ length: 90 + rng.int(40) }, () => rng.pick(FIXTURE_WORDS)).join(' ') })).join('\n') + '\n');
  core = createCore({ home: path.join(tmp.dir, 'home'), frontDoor: 'test' });
  a = await buildIndex(fx.model, dataset);
  b = await buildIndex(fx.modelB, dataset);
}, 180_000);
afterAll(async () => {
  await core?.close();
  tmp.cleanup();
});

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work;
  return { value, ms: performance.now() - t0 };
}

describe('conditions over the API run in bounded time', () => {
  it('compare.previewCondition answers a catastrophic-backtracking regex at once, and the core keeps answering', async () => {
    const preview = await timed(call<ConditionPreview>(core, 'compare.previewCondition', { indexId: a, spec: CATASTROPHIC, documents: 50 }));
    expect(preview.value.documents).toHaveLength(6);
    expect(preview.value.tokens).toBeGreaterThan(500);
    expect(preview.value.matches).toBe(0);
    expect(preview.ms).toBeLessThan(2000);
    expect((await timed(call(core, 'app.info', {}))).ms).toBeLessThan(500);
  });

  it('a saved named condition carrying it is previewed and diffed as a queued job in bounded time', async () => {
    await call<SavedCondition>(core, 'compare.saveCondition', { name: 'bang', spec: CATASTROPHIC, description: 'ends with !' });
    const preview = await timed(call<ConditionPreview>(core, 'compare.previewCondition', { indexId: a, spec: 'named:bang && position:>2', documents: 50 }));
    expect(preview.value.spec).toBe(`${CATASTROPHIC} && position:>2`);
    expect(preview.ms).toBeLessThan(2000);
    const job = await call<JobView>(core, 'compare.diff', { a, b, condition: 'named:bang' });
    const done = await waitForJob(core, job.id, (j) => j.state === 'completed' || j.state === 'failed', 120_000);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    const diff = await call<DiffResult>(core, 'compare.diffResult', { jobId: job.id });
    expect(diff).toMatchObject({ condition: CATASTROPHIC, requestedCondition: 'named:bang', n_condition_tokens: 0 });
  }, 150_000);

  it('refuses backreferences and lookaround when saving, previewing and queueing, naming RE2', async () => {
    const lookahead = await call(core, 'compare.saveCondition', { name: 'peek', spec: 'token-regex:^Step(?=:)', description: '' }).catch((e: unknown) => e);
    expect(lookahead).toMatchObject({ code: 'CONDITION_INVALID', message: expect.stringContaining('uses lookahead (?=...), which RE2 syntax does not have'), hint: expect.stringContaining('RE2 syntax') });
    const back = await call(core, 'compare.previewCondition', { indexId: a, spec: 'context-regex:(\\w+) \\1$', documents: 2 }).catch((e: unknown) => e);
    expect(back).toMatchObject({ code: 'CONDITION_INVALID', message: expect.stringContaining('uses the backreference \\1') });
    const queued = await call(core, 'compare.diff', { a, b, condition: 'context-regex:(?<!x)y' }).catch((e: unknown) => e);
    expect(queued).toMatchObject({ code: 'CONDITION_INVALID', message: expect.stringContaining('negative lookbehind') });
    expect((await call<SavedCondition[]>(core, 'compare.conditions', {})).map((c) => c.name)).not.toContain('peek');
  });
});

/**
 * Issue 17: each "Run diff" queued an identical job. An identical finished diff (same indexes as
 * built, condition as it expands now, method, min rate, threshold, floor) is returned instead.
 */
describe('compare.diff reuses an identical finished diff', () => {
  const diffJobs = async () => (await call<JobView[]>(core, 'jobs.list', {})).filter((j) => j.kind === 'compare.diff').map((j) => j.id);
  const finished = async (params: Record<string, unknown>) => {
    const job = await call<JobView>(core, 'compare.diff', { a, b, ...params });
    const done = await waitForJob(core, job.id, (j) => j.state === 'completed' || j.state === 'failed', 120_000);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    return done;
  };

  it('answers a repeat with the finished job, and queues anew when a parameter or the condition changes', async () => {
    const first = await finished({ condition: 'token-regex:^the$', minRate: 0.1 });
    const before = await diffJobs();
    const again = await call<JobView>(core, 'compare.diff', { a, b, condition: 'token-regex:^the$', minRate: 0.1 });
    expect(again).toMatchObject({ id: first.id, state: 'completed' });
    // The default threshold written out is the same diff.
    const threshold = (await call<DiffResult>(core, 'compare.diffResult', { jobId: first.id })).threshold;
    expect((await call<JobView>(core, 'compare.diff', { a, b, condition: 'token-regex:^the$', minRate: 0.1, threshold })).id).toBe(first.id);
    expect(await diffJobs()).toEqual(before);

    for (const changed of [{ minRate: 0.2 }, { threshold: threshold - 0.05 }, { floor: 0.5 }, { condition: 'token-regex:^a$' }]) {
      const other = await finished({ condition: 'token-regex:^the$', minRate: 0.1, ...changed });
      expect(other.id, JSON.stringify(changed)).not.toBe(first.id);
    }
    // A saved condition redefined under the same name is a different diff.
    await call(core, 'compare.saveCondition', { name: 'article', spec: 'token-regex:^the$', description: '' });
    const named = await finished({ condition: 'named:article', minRate: 0.1 });
    expect((await call<JobView>(core, 'compare.diff', { a, b, condition: 'named:article', minRate: 0.1 })).id).toBe(named.id);
    await call(core, 'compare.saveCondition', { name: 'article', spec: 'token-regex:^a$', description: '' });
    const redefined = await call<JobView>(core, 'compare.diff', { a, b, condition: 'named:article', minRate: 0.1 });
    expect(redefined.id).not.toBe(named.id);
    await waitForJob(core, redefined.id, (j) => j.state === 'completed' || j.state === 'failed', 120_000);
  }, 300_000);

  it('queues anew when an index was rebuilt since, or the finished result file is gone', async () => {
    const first = await finished({ condition: 'token-regex:^water$' });
    expect((await call<JobView>(core, 'compare.diff', { a, b, condition: 'token-regex:^water$' })).id).toBe(first.id);
    fs.rmSync(path.join(runDir(core.home, first.id), 'diff.json'));
    const second = await finished({ condition: 'token-regex:^water$' });
    expect(second.id).not.toBe(first.id);
    // A rebuild ends with a new finish time (and possibly new hashes): the old diff no longer describes it.
    const db = openDatabase(core.home);
    try {
      const registry = new IndexRegistry(db);
      registry.markReady(b, registry.require(b).summary!);
    } finally {
      db.close();
    }
    const third = await call<JobView>(core, 'compare.diff', { a, b, condition: 'token-regex:^water$' });
    expect(third.id).not.toBe(second.id);
    await waitForJob(core, third.id, (j) => j.state === 'completed' || j.state === 'failed', 120_000);
  }, 300_000);
});

/** Issue 17: "Side by side with..." opened an empty pane; it now opens on the counterpart from the newest match. */
describe('compare.counterpart', () => {
  it("reads the newest match from either side: B's best match, and from A the B feature that picked it with the highest score", async () => {
    expect(await call<FeatureCounterpart>(core, 'compare.counterpart', { index: a, feature: 0, other: a })).toEqual({ matched: false, feature: null, score: null, method: null, threshold: null, createdAt: null });
    const job = await call<JobView>(core, 'compare.match', { a, b, method: 'activation' });
    expect((await waitForJob(core, job.id, (j) => j.state === 'completed' || j.state === 'failed', 120_000)).state).toBe('completed');
    const match = (await call<MatchResult>(core, 'compare.matchResult', { a, b, method: 'activation' }))!;
    const matched = match.features.filter((f) => f.match !== null);
    expect(matched.length).toBeGreaterThan(0);
    for (const row of match.features.slice(0, 8)) {
      expect(await call<FeatureCounterpart>(core, 'compare.counterpart', { index: b, feature: row.feature, other: a })).toMatchObject({ matched: true, feature: row.match, score: row.match_score, method: 'activation', threshold: 0.3, createdAt: match.createdAt });
    }
    const target = matched[0].match!;
    const pickers = match.features.filter((f) => f.match === target).sort((x, y) => y.match_score! - x.match_score!);
    expect(await call<FeatureCounterpart>(core, 'compare.counterpart', { index: a, feature: target, other: b })).toMatchObject({ matched: true, feature: pickers[0].feature, score: pickers[0].match_score });
  }, 150_000);
});
