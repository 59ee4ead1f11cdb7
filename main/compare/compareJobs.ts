import { COMPARE_DIFF_JOB_KIND, COMPARE_MATCH_JOB_KIND, DiffParamsSchema, MatchParamsSchema, type DiffParams, type MatchParams } from '../../preload/contract/compare';
import { defineJobKind } from '../jobs/kind';

/** `compare.match`: match every feature of B to A (cached for the Compare page and diffs). */
export const compareMatchJob = defineJobKind<MatchParams>({
  kind: COMPARE_MATCH_JOB_KIND,
  description: 'Match the features of two SAEs (indexes): activation correlation over shared tokens, or decoder cosine when the models share a residual basis; best match, runner-up and a one-to-one assignment.',
  params: MatchParamsSchema,
  title: (p) => `Match ${p.b} to ${p.a} (${p.method})`,
  resource: 'cpu',
  pausable: false,
  async run(ctx, params) {
    const { openDatabase } = await import('../db/connection');
    const { runMatch } = await import('./runCompare');
    const db = openDatabase(ctx.home);
    try {
      const r = await runMatch({ home: ctx.home, db, progress: (f, m) => ctx.progress(f, m) }, params);
      const unmatched = r.features.filter((f) => f.match === null).length;
      ctx.log('info', `Matched ${r.features.length} features of ${r.b.id} to ${r.a.id} by ${r.method}; ${unmatched} have no candidate.${r.warnings.length ? ` ${r.warnings.join(' ')}` : ''}`);
      return { a: r.a.id, b: r.b.id, method: r.method, features: r.features.length, unmatched, warnings: r.warnings };
    } finally {
      db.close();
    }
  },
});

/** `compare.diff`: which B features fire at a token condition with no counterpart in A. */
export const compareDiffJob = defineJobKind<DiffParams>({
  kind: COMPARE_DIFF_JOB_KIND,
  description: 'Condition diff: per B feature, firing rate at condition tokens vs elsewhere, in B and in its match in A, with the asymmetry; exported as JSON and CSV with every parameter.',
  params: DiffParamsSchema,
  title: (p) => `Diff ${p.b} vs ${p.a} at ${p.condition}`,
  resource: 'cpu',
  pausable: false,
  async run(ctx, params) {
    const { openDatabase } = await import('../db/connection');
    const { runDiff } = await import('./runCompare');
    const db = openDatabase(ctx.home);
    try {
      const r = await runDiff({ home: ctx.home, db, progress: (f, m) => ctx.progress(f, m) }, params, { path: ctx.runDir, origin: { surface: 'api' }, overwrite: true, option: 'the job\'s folder' });
      ctx.log('info', r.sentence);
      return { sentence: r.sentence, n_condition_tokens: r.n_condition_tokens, features: r.features.length, method: r.method, files: r.files };
    } finally {
      db.close();
    }
  },
});
