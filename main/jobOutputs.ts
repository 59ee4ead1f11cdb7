/**
 * What each CLI command prints as its final JSON line (its --json object), defined once: the CLI
 * prints these, and the API's jobs.output returns the same object for a finished job of the
 * matching kind, so a notebook's `job.result()`, a script's `sae-workbench ... --json` and the
 * docs agree by construction. Like main/jobKinds.ts this table sits above the features; a kind
 * without an entry has no CLI shape and its job result is its output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { COMPARE_DIFF_JOB_KIND, COMPARE_MATCH_JOB_KIND, CROSSCODER_ANALYSE_KIND, EXPERIMENT_JOB_KINDS, INDEX_BUILD_JOB_KIND, TRAIN_CROSSCODER_KIND, type CrosscoderAnalysis, type CrosscoderTrainResult, type DiffResult, type EvalRunResult, type JobView, type MatchParams, type MatchResult, type TrainRunResult } from '../preload/api';
import { readAnalysis } from './compare/crosscoderAnalyseRun';
import { cachedMatch } from './compare/runCompare';
import type { Db } from './db/connection';
import { WorkbenchError } from './errors';
import { runDir } from './home';
import type { IndexBuildResult } from './index/buildIndex';
import { IndexRegistry } from './index/indexRegistry';

/** `sae-workbench diff --json`. */
export function diffJson(r: DiffResult) {
  return { condition: r.condition, n_condition_tokens: r.n_condition_tokens, features: r.features, match_method: r.method, floor: r.floor, min_rate: r.minRate, threshold: r.threshold, sentence: r.sentence, a: r.a, b: r.b };
}

/** `sae-workbench match --json`. */
export function matchJson(r: MatchResult) {
  return { method: r.method, features: r.features };
}

/** `sae-workbench index --model ... --sae ... --dataset ...`'s final line. */
export function indexBuildJson(r: IndexBuildResult) {
  return { index_ids: r.indexIds, tokens: r.tokens, documents: r.documents, skipped_rows: r.skippedRows, tokens_per_s: r.tokensPerSecond, db_bytes: r.dbBytes };
}

/** `sae-workbench eval --json`. */
export function evalJson(result: EvalRunResult) {
  const e = result.eval;
  return { fve: e.fve, l0: e.l0, dead_pct: e.dead_pct, duplicate_pct: e.duplicate_pct, dense_pct: e.dense_pct, max_cosine: e.max_cosine, mean_max_cosine: e.mean_max_cosine, l2_ratio: e.l2_ratio, ce_loss_score: e.ce_loss_score, kl_score: e.kl_score, mse: e.mse, tokens: e.tokens, ce_clean: e.ce_clean, ce_with_sae: e.ce_with_sae, ce_zero_ablation: e.ce_zero_ablation, kl_with_sae: e.kl_with_sae, kl_zero_ablation: e.kl_zero_ablation, gates: result.gates, passed: result.passed, sae: result.sae, constructed: result.constructed ?? null };
}

/** `sae-workbench train`'s final line: per SAE {fve, l0, dead_pct, duplicate_pct, dense_pct, ce_loss_score, kl_score, tokens_per_s, out}; several under "saes". */
export function trainSummary(result: TrainRunResult): unknown {
  const each = result.saes.map((s) => ({
    fve: s.eval.fve,
    l0: s.eval.l0,
    dead_pct: s.eval.dead_pct,
    duplicate_pct: s.eval.duplicate_pct,
    dense_pct: s.eval.dense_pct,
    ce_loss_score: s.eval.ce_loss_score,
    kl_score: s.eval.kl_score,
    tokens_per_s: result.tokensPerSecond,
    out: s.out,
  }));
  return each.length === 1 ? each[0] : { saes: each };
}

/** `sae-workbench crosscoder`'s final line: exactly these keys (issue 19). */
export function crosscoderSummary(r: CrosscoderTrainResult) {
  return { fve_a: r.fve_a, fve_b: r.fve_b, l0: r.l0, dead_pct: r.dead_pct, n_a_only: r.n_a_only, n_shared: r.n_shared, n_b_only: r.n_b_only, out: r.out };
}

/** `sae-workbench crosscoder-latents --json`: exactly {"latents": [{latent, delta_norm, category, cos_ab, density, nu_r, nu_eps}]}. */
export function crosscoderLatentsJson(a: CrosscoderAnalysis) {
  return { latents: a.latents.map((l) => ({ latent: l.latent, delta_norm: l.delta_norm, category: l.category, cos_ab: l.cos_ab, density: l.density, nu_r: l.nu_r, nu_eps: l.nu_eps })) };
}

/** A finished diff job's result file (the whole DiffResult; the job's own result is a summary). */
export function readDiffResult(home: string, job: JobView): DiffResult {
  const file = path.join(runDir(home, job.id), 'diff.json');
  if (!fs.existsSync(file)) throw new WorkbenchError('DIFF_MISSING', `The result file ${file} of diff ${job.id} is missing.`, 'Run the diff again.');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as DiffResult;
}

/** The experiment kinds return the CLI's summary plus where the artifact went (the CLI's --out). */
function experimentSummary(job: JobView): unknown {
  const { artifact: _artifact, ...summary } = job.result as Record<string, unknown>;
  return summary;
}

type JobOutput = (job: JobView, ctx: { home: string; db: Db }) => unknown;

const outputs: Record<string, JobOutput> = {
  ...Object.fromEntries(Object.values(EXPERIMENT_JOB_KINDS).map((k) => [k, experimentSummary])),
  [COMPARE_DIFF_JOB_KIND]: (job, { home }) => diffJson(readDiffResult(home, job)),
  [COMPARE_MATCH_JOB_KIND]: (job, { home, db }) => {
    const p = job.params as MatchParams;
    const r = cachedMatch(home, new IndexRegistry(db), p.a, p.b, p.method);
    if (!r) throw new WorkbenchError('MATCH_MISSING', `The match of ${p.b} to ${p.a} that job ${job.id} computed is no longer cached (an index was rebuilt or removed).`, 'Run the match again.');
    return matchJson(r);
  },
  [INDEX_BUILD_JOB_KIND]: (job) => indexBuildJson(job.result as IndexBuildResult),
  'train.sae': (job) => trainSummary(job.result as TrainRunResult),
  'eval.sae': (job) => evalJson(job.result as EvalRunResult),
  [TRAIN_CROSSCODER_KIND]: (job) => crosscoderSummary(job.result as CrosscoderTrainResult),
  [CROSSCODER_ANALYSE_KIND]: (job, { home }) => crosscoderLatentsJson(readAnalysis(runDir(home, job.id))),
};

/** A job's output; refused with the job's state while it is not completed. */
export function jobOutput(job: JobView, ctx: { home: string; db: Db }): unknown {
  if (job.state === 'failed') {
    const e = job.error;
    throw new WorkbenchError('JOB_FAILED', `Job ${job.id} (${job.kind}) failed${e ? `: ${e.code}: ${e.message}` : ''}.`, e?.hint ?? 'See its log in the Queue; retry it there.');
  }
  if (job.state === 'cancelled') throw new WorkbenchError('JOB_CANCELLED', `Job ${job.id} (${job.kind}) was cancelled; it has no result.`, 'Retry it in the Queue to run it again.');
  if (job.state !== 'completed') throw new WorkbenchError('JOB_NOT_FINISHED', `Job ${job.id} (${job.kind}) is ${job.state}; its result exists once it completes.`, 'Wait for it (job.wait() in Python, the Queue in the app).');
  return (outputs[job.kind] ?? ((j: JobView) => j.result))(job, ctx);
}
