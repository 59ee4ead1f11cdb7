import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConditionPreview, DiffResult, JobView, SavedCondition } from '../../preload/api';
import { FIXTURE_WORDS, writeExperimentFixture, type ExperimentFixture } from '../experiments/testing/experimentFixture';
import { SeededRandom } from '../random/seededRandom';
import { call, waitForJob } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';
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
