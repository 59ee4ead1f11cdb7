import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_HOOK, FIXTURE_WORDS, writeExperimentFixture, type ExperimentFixture } from '../experiments/testing/experimentFixture';
import { SeededRandom } from '../random/seededRandom';
import { runCliCaptured as cli } from '../testing/cliRun';
import { makeTempDir } from '../testing/tempDirs';

/**
 * Issue 16: `diff`, `ablate` and `probe` with --condition context-regex:^([\s\S]+)+!$ hung (V8's
 * backtracking RegExp, ~2^n steps per position). Conditions now match in linear time.
 */
const CATASTROPHIC = 'context-regex:^([\\s\\S]+)+!$';
const tmp = makeTempDir('condition-cli');
const home = path.join(tmp.dir, 'home');
let fx: ExperimentFixture;
let dataset: string;

beforeAll(() => {
  fx = writeExperimentFixture(path.join(tmp.dir, 'fixture'));
  // Long documents: the context before their last tokens is the whole 400-character window.
  const rng = new SeededRandom(5);
  dataset = path.join(tmp.dir, 'long.jsonl');
  fs.writeFileSync(dataset, Array.from({ length: 6 }, () => JSON.stringify({ text: Array.from({ length: 90 + rng.int(40) }, () => rng.pick(FIXTURE_WORDS)).join(' ') })).join('\n') + '\n');
});
afterAll(() => tmp.cleanup());

async function timedCli(args: string[]) {
  const t0 = performance.now();
  const r = await cli(args);
  return { ...r, ms: performance.now() - t0 };
}

describe('CLI commands with a catastrophic-backtracking condition finish in bounded time', () => {
  it('diff', async () => {
    const ids: string[] = [];
    for (const model of [fx.model, fx.modelB]) {
      const r = await cli(['index', '--model', model, '--sae', fx.sae, '--dataset', dataset, '--device', 'cpu', '--home', home]);
      expect(r.code, r.err).toBe(0);
      ids.push(JSON.parse(r.out.trim().split('\n').pop()!).index_ids[0]);
    }
    // The matching is cached by the first diff; the second one times the condition alone.
    expect((await cli(['diff', '--a', ids[0], '--b', ids[1], '--condition', 'position:first', '--home', home, '--json'])).code).toBe(0);
    const r = await timedCli(['diff', '--a', ids[0], '--b', ids[1], '--condition', CATASTROPHIC, '--home', home, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ condition: CATASTROPHIC, n_condition_tokens: 0 });
    expect(r.ms).toBeLessThan(10_000);
  }, 120_000);

  it('ablate (the metric at the condition): no position matches, said so at once', async () => {
    const r = await timedCli(['ablate', '--model', fx.model, '--sae', fx.sae, '--features', '4', '--dataset', dataset, '--condition', CATASTROPHIC, '--seeds', '2', '--draws', '1', '--device', 'cpu', '--json', '--home', home]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`(the condition ${CATASTROPHIC} matches none)`);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('probe (the condition as the label)', async () => {
    const r = await timedCli(['probe', '--condition', CATASTROPHIC, '--dataset', dataset, '--probe', `model=${fx.model},hook=${FIXTURE_HOOK}`, '--device', 'cpu', '--json', '--home', home]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).probes[0].test_positions).toBeGreaterThan(0);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('a backreference is refused before anything runs, naming RE2', async () => {
    const r = await cli(['probe', '--condition', 'context-regex:(\\w+) \\1$', '--dataset', dataset, '--probe', `model=${fx.model},hook=${FIXTURE_HOOK}`, '--device', 'cpu', '--json', '--home', home]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/uses the backreference \\1, which RE2 syntax does not have\.\nHint: Regexes use RE2 syntax/);
  });
});
