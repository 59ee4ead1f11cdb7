import { afterAll, describe, expect, it } from 'vitest';
import { AbuseReport } from '../serverAbuse';
import { makeTempDir } from '../tempDirs';
import { runOutputPathAbuse } from './outputPathAbuse';

const tmp = makeTempDir('output-abuse');
afterAll(tmp.cleanup);

/**
 * The "output paths" class of the abuse suite, bounded for CI: random bad (and some good) output
 * paths for acts, encode, ablate, index export, train and demo on the command line, and for
 * train.sae's `out` through a served core. bench/abuseSuite.ts runs the long version.
 */
describe('output paths under abuse', () => {
  it('refuses every bad output clearly (no stack trace, no hang, no INTERNAL), writes only where asked, and the core stays up', async () => {
    const report = new AbuseReport();
    await runOutputPathAbuse(tmp.dir, { seed: 16, cli: 300, api: 200 }, report);
    expect(report.failures).toEqual([]);
    const count = (prefix: string) => [...report.categories].filter(([k]) => k.startsWith(prefix)).reduce((n, [, c]) => n + c.cases, 0);
    expect(count('outputs: cli')).toBe(300);
    expect(count('outputs: api')).toBe(200);
    expect(report.healthChecks).toBe(200);
    // Both kinds of outcome were exercised on the command line.
    const outcomes = [...report.categories].filter(([k]) => k.startsWith('outputs: cli')).flatMap(([, c]) => [...c.outcomes.keys()]);
    expect(outcomes.some((o) => o.startsWith('ok:'))).toBe(true);
    expect(outcomes.some((o) => o.startsWith('refused:'))).toBe(true);
  }, 120_000);
});
