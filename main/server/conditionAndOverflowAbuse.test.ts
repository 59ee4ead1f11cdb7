import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNonfiniteAbuse } from '../testing/abuse/nonfiniteAbuse';
import { runRegexAbuse } from '../testing/abuse/regexAbuse';
import { makeTempDir } from '../testing/tempDirs';
import { AbuseReport, loggedUncaught, serveForAbuse, type ServedCore } from '../testing/serverAbuse';

const tmp = makeTempDir('abuse-16');
let server: ServedCore;

beforeAll(async () => {
  server = await serveForAbuse(path.join(tmp.dir, 'served'));
}, 90_000);
afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

/**
 * Issue 16's abuse classes, bounded for CI against a real `serve` process: backtracking regexes
 * as condition previews and saved conditions (health within 2 s while and after each), and
 * experiments, evals and prompt runs on overflowing models (NONFINITE_OUTPUT, never a verdict).
 * bench/abuseSuite.ts runs more of each.
 */
describe('browser mode under issue 16 abuse', () => {
  it('backtracking regexes: every condition answered in bounded time, /health within 2 s throughout', async () => {
    const report = new AbuseReport();
    await runRegexAbuse(server, path.join(tmp.dir, 'regex'), { seed: 16, cases: 80 }, report);
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(80);
    const outcomes = [...report.categories.values()].flatMap((c) => [...c.outcomes.keys()]);
    expect(outcomes).toEqual(expect.arrayContaining(['ok', 'CONDITION_INVALID']));
    expect(loggedUncaught(server.home)).toEqual([]);
  }, 120_000);

  it('overflowing models: NONFINITE_OUTPUT for every experiment, eval and prompt run, no artifact', async () => {
    const report = new AbuseReport();
    await runNonfiniteAbuse(server, path.join(tmp.dir, 'nonfinite'), { seed: 16, cases: 8 }, report);
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(8);
    expect(server.child.exitCode).toBeNull();
    expect(loggedUncaught(server.home)).toEqual([]);
  }, 180_000);
});
