import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runOnSmallDisk } from '../testing/smallDisk';
import { sharedDemoBundle } from '../testing/sharedDemoBundle';
import { makeTempDir } from '../testing/tempDirs';

const tmp = makeTempDir('disk-full');
afterAll(() => tmp.cleanup());

/**
 * Issue 16: an index build fills the disk that holds the data directory and serve's stderr.
 * Runs main/testing/diskFullScenario.ts on a real 24 MiB tmpfs (a private mount namespace).
 */
describe('a full disk under a running core', () => {
  it('fails the job with DISK_FULL (retryable, not stuck "running"), keeps /health answering and the CPU idle, and the retry completes once space is back', async () => {
    const mount = path.join(tmp.dir, 'disk');
    const r = await runOnSmallDisk(mount, 24, path.join(import.meta.dirname, '../testing/diskFullScenario.ts'), [mount, JSON.stringify(sharedDemoBundle())], 240_000);
    expect(r.code, `${r.err}\n${r.out}`).toBe(0);
    const seen = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(seen.failed, r.err).toMatchObject({ state: 'failed', error: { code: 'DISK_FULL', hint: expect.stringContaining('retry') } });
    // A retry while the disk is still full is refused with why, and changes nothing.
    expect(seen.retryWhileFull).toBe('DISK_FULL');
    // The failed state reached the database once the disk took writes again.
    expect(seen.afterSpace).toBe('failed');
    expect(seen.retried).toBe('ok');
    expect(seen.finished).toMatchObject({ state: 'completed', error: null, attempts: 2 });
    expect(seen.health.checks).toBeGreaterThan(20);
    expect(seen.health.misses).toBe(0);
    expect(seen.health.slowestMs).toBeLessThan(2000);
    // 200 requests that log warnings onto the full disk (log and stderr): no spinning.
    expect(seen.cpuWhileFull).toBeLessThan(0.5);
    expect(seen.exitCode).toBe(0);
  }, 300_000);
});
