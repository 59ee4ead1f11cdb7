import { WorkbenchError } from '../errors';
import { parseDeviceChoice } from '../engine/executionProviders';
import { runEvalSae } from '../evals/evalRun';
import path from 'node:path';
import { EVAL_SAE_KIND, EvalSaeParamsSchema, type EvalRunResult } from '../../preload/contract/train';
import { onOption, targetOf } from './clusterTarget';
import { followOnCluster } from './foregroundJob';
import type { CliCommand } from './command';
import { requiredString } from './cliOptions';
import { evalJson } from '../jobOutputs';

const usage = 'sae-workbench eval --model <dir> --sae <dir> --dataset <path> [--tokens N] [--context-size N] [--text-column C] [--device auto|cpu|cuda|webgpu] [--json] [--on <cluster>] [--home <dir>]';

/**
 * `eval`: judge any sae_lens SAE by the training runs' yardstick (held-out FVE, L0, dead %, L2
 * ratio, CE-loss and KL scores with the SAE spliced in, quality gates). --json prints one JSON
 * object; otherwise a table.
 */
export const evalCommand: CliCommand = {
  name: 'eval',
  summary: 'Evaluate an SAE on held-out tokens: FVE, L0, dead %, duplicates %, dense %, L2 ratio, CE-loss and KL scores, quality gates.',
  usage,
  options: {
    model: { type: 'string' },
    sae: { type: 'string' },
    dataset: { type: 'string' },
    tokens: { type: 'string' },
    'context-size': { type: 'string' },
    'text-column': { type: 'string' },
    device: { type: 'string' },
    json: { type: 'boolean' },
    ...onOption,
  },
  async run({ values }, ctx) {
    const int = (name: string) => {
      const v = values[name];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new WorkbenchError('BAD_ARGUMENT', `--${name} "${String(v)}" is not a positive integer.`, `Usage: ${usage}`);
      return Number(v);
    };
    const parsed = EvalSaeParamsSchema.safeParse({
      model: requiredString(values, 'model', usage),
      sae: requiredString(values, 'sae', usage),
      dataset: requiredString(values, 'dataset', usage),
      ...(int('tokens') !== undefined ? { tokens: int('tokens') } : {}),
      ...(int('context-size') !== undefined ? { contextSize: int('context-size') } : {}),
      ...(typeof values['text-column'] === 'string' ? { textColumn: values['text-column'] } : {}),
      device: parseDeviceChoice(values.device as string | undefined),
    });
    if (!parsed.success) throw new WorkbenchError('BAD_ARGUMENT', `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}.`, `Usage: ${usage}`);
    const target = targetOf(values);
    let result: EvalRunResult;
    let slurmJobId: string | null = null;
    if (target) {
      const p = parsed.data;
      const remote = await followOnCluster(ctx, EVAL_SAE_KIND, { ...p, model: path.resolve(p.model), sae: path.resolve(p.sae), dataset: path.resolve(p.dataset) }, target);
      result = remote.job.result as EvalRunResult;
      slurmJobId = remote.slurmJobId;
    } else {
      result = await runEvalSae(parsed.data, { progress: () => {}, log: (_l, m) => (values.json ? undefined : ctx.stderr(m)) });
    }
    const e = result.eval;
    if (values.json) {
      ctx.stdout(JSON.stringify(target ? { ...evalJson(result), slurm_job_id: slurmJobId } : evalJson(result)));
      return 0;
    }
    const row = (name: string, v: number, digits = 4) => ctx.stdout(`  ${name.padEnd(22)} ${v.toFixed(digits)}`);
    ctx.stdout(`${result.sae} (${e.hook}) on ${e.tokens} held-out tokens (${result.executionProvider}):`);
    row('FVE', e.fve);
    row('L0', e.l0, 2);
    row('dead %', e.dead_pct, 2);
    row('duplicates %', e.duplicate_pct, 2);
    row('dense % (> 10 %)', e.dense_pct, 2);
    row('max / mean max cos', e.max_cosine);
    ctx.stdout(`  ${''.padEnd(22)} ${e.mean_max_cosine.toFixed(4)}`);
    row('L2 ratio', e.l2_ratio);
    row('CE-loss score', e.ce_loss_score);
    row('KL score', e.kl_score);
    row('CE clean / SAE / zero', e.ce_clean);
    ctx.stdout(`  ${''.padEnd(22)} ${e.ce_with_sae.toFixed(4)} / ${e.ce_zero_ablation.toFixed(4)}`);
    for (const g of result.gates) ctx.stdout(`  gate ${g.name} ${g.comparison} ${g.threshold}: ${g.pass ? 'pass' : g.blocking ? 'FAIL' : 'WARN'} (${g.value.toFixed(4)})`);
    const groups = result.dictionary.groups;
    if (groups.length > 0) {
      ctx.stdout(`  near-duplicate groups (decoder cosine >= ${result.dictionary.duplicate_cosine}): ${result.dictionary.group_count}`);
      for (const g of groups.slice(0, 10)) ctx.stdout(`    latents ${g.latents.join(', ')}: max cosine ${g.max_cosine.toFixed(3)}, co-firing r ${g.pairs[0] ? g.pairs[0].co_firing_r.toFixed(3) : '–'} (top pair)`);
    }
    if (result.constructed) ctx.stdout(`  note: ${result.constructed.note}`);
    return 0;
  },
};
