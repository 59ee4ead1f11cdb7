import { z } from 'zod';
import { defineJobKind } from '../jobs/kind';

export const LIBRARY_SCAN_KIND = 'library.scan';

/**
 * Rescan the HF cache and the folders the user added into the catalog. Runs in a worker so a
 * large cache never stalls the core; the core announces `library.changed` when it completes.
 */
export const libraryScanJob = defineJobKind({
  kind: LIBRARY_SCAN_KIND,
  description: 'Scan the HF cache and added folders for models, SAEs, datasets and result files.',
  params: z.object({}).strict(),
  title: () => 'Scan library',
  resource: 'cpu',
  pausable: false,
  async run(ctx) {
    const { openDatabase } = await import('../db/connection');
    const { LibraryCatalog } = await import('./libraryCatalog');
    const { scanEverything } = await import('./scanLibrary');
    const { resolveCacheDir } = await import('../hub/hubConfig');
    const db = openDatabase(ctx.home);
    try {
      const summary = scanEverything(
        new LibraryCatalog(db),
        resolveCacheDir(),
        (done, total, what) => ctx.progress(done / total, what),
        () => ctx.throwIfStopped(),
      );
      ctx.log('info', `HF cache ${summary.hubCacheDir}: ${summary.hubItems} items`);
      for (const p of summary.hubProblems) ctx.log('warn', p);
      for (const r of summary.roots) {
        ctx.log(r.missing ? 'warn' : 'info', r.missing ? `${r.path} is missing` : `${r.path}: ${r.items} items`);
        for (const p of r.problems) ctx.log('warn', p);
      }
      return summary;
    } finally {
      db.close();
    }
  },
});
