import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXED_DAMAGES, runLoaderCase, TARGETS } from '../testing/loaderAbuse';
import { makeTempDir } from '../testing/tempDirs';

const tmp = makeTempDir('broken-files');
afterAll(() => tmp.cleanup());

/**
 * FIFOs, folders, sockets and dangling links where a file should be; empty, truncated and garbled
 * files; NaN and infinite weights: through every loader, inspect, the Library and the CLI. Each
 * case must end in a WorkbenchError (or a harmless acceptance), never another exception, never a
 * hang, and never write an output it refused to make.
 */
describe('broken files through every loader', () => {
  it(`${TARGETS.length} loaders x ${FIXED_DAMAGES.length} kinds of damage`, async () => {
    const failures: string[] = [];
    const codes = new Map<string, number>();
    for (const target of TARGETS) {
      for (const damage of FIXED_DAMAGES) {
        const r = await runLoaderCase(path.join(tmp.dir, 'case'), target, damage);
        if (r.outcome === 'failed') failures.push(`${target.name} / ${damage}: ${r.detail}`);
        if (r.outcome === 'refused') codes.set(r.detail, (codes.get(r.detail) ?? 0) + 1);
        expect(r.ms, `${target.name} / ${damage} took ${r.ms} ms`).toBeLessThan(4000);
      }
    }
    expect(failures).toEqual([]);
    // The refusals name what went wrong with the file, not a generic failure.
    expect([...codes.keys()]).toEqual(expect.arrayContaining(['NOT_A_FILE', 'WEIGHTS_NONFINITE', 'FILE_NOT_READABLE']));
  }, 300_000);
});
