import { afterAll, describe, expect, it } from 'vitest';
import { AbuseReport } from '../serverAbuse';
import { makeTempDir } from '../tempDirs';
import { runSqliteAbuse } from './sqliteAbuse';

const tmp = makeTempDir('sqlite-abuse');
afterAll(() => tmp.cleanup());

/**
 * Issue 16's SQLite classes, bounded for CI; bench/abuseSuite.ts runs more. Random byte damage to
 * an index, the token store or the app database, then random reads: the clean answer or an error
 * naming the damaged file, never INTERNAL, never a different page. FIFOs where a served core's
 * reads open SQLite files: NOT_A_FILE (or the clean answer), and /health within 2 s after each.
 */
describe('SQLite files under abuse', () => {
  it('corrupted pages and special files: the clean answer or an error naming the file; the served core stays up', async () => {
    const report = new AbuseReport();
    await runSqliteAbuse(tmp.dir, { seed: 16, damaged: 80, special: 40 }, report);
    expect(report.failures).toEqual([]);
    const outcomes = (prefix: string) => [...report.categories].filter(([k]) => k.startsWith(prefix)).flatMap(([, c]) => [...c.outcomes.keys()]);
    // Damage was found, not only missed, and some reads were untouched by it.
    expect(outcomes('sqlite: damaged')).toEqual(expect.arrayContaining(['INDEX_CORRUPT', 'same']));
    expect(outcomes('sqlite: special files')).toContain('NOT_A_FILE');
    expect(report.healthChecks).toBe(40);
    expect(report.cases).toBeGreaterThan(400);
  }, 120_000);
});
