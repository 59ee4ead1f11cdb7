import { featureIndexLabel, INDEX_BUILD_JOB_KIND, IndexBuildParamsSchema, type FeatureIndexInfo } from '../../preload/api';
import { openDatabase } from '../db/connection';
import { parseDeviceChoice } from '../engine/executionProviders';
import { WorkbenchError } from '../errors';
import { prepareHome } from '../home';
import { indexBuildJson } from '../jobOutputs';
import type { IndexBuildProgress, IndexBuildResult } from '../index/buildIndex';
import { exportIndexParquet } from '../index/exportIndex';
import { IndexCatalog } from '../index/indexCatalog';
import { registerIndexFiles } from '../index/indexRecovery';
import { prepareIndexBuild } from '../index/prepareIndexBuild';
import { listLabels } from '../labels/labelService';
import { commaList, outputChoice, overwriteOption, requiredString } from './cliOptions';
import type { CliCommand, CliContext } from './command';
import { progressPrinter, runJobInForeground } from './foregroundJob';

const USAGE = [
  'sae-workbench index --model <dir> --sae <dir>[,<dir>...] --dataset <path> [--model-a <dir> (a crosscoder as --sae: --model is its model B)] [--max-tokens N] [--max-documents N] [--context-size N] [--top-n N] [--text-column NAME] [--device auto|cpu|cuda|webgpu]',
  'sae-workbench index list [--json]',
  'sae-workbench index remove <id>',
  'sae-workbench index export <id> --format parquet --out <dir> [--overwrite]',
  'sae-workbench index recover [--json]',
].join('\n       ');

function positiveInt(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new WorkbenchError('BAD_ARGUMENT', `--${name} "${String(v)}" must be a whole number of at least 1.`, `Usage: ${USAGE}`);
  return n;
}

function catalog(ctx: CliContext): IndexCatalog {
  prepareHome(ctx.home);
  return new IndexCatalog(ctx.home, openDatabase(ctx.home));
}

function describeIndex(i: FeatureIndexInfo): string {
  const size = i.summary ? `${i.summary.tokens.toLocaleString('en-US')} tokens, ${i.summary.documents.toLocaleString('en-US')} docs` : '';
  return `${i.id}  ${i.state.padEnd(8)} ${featureIndexLabel(i)}  ${size}${i.stale ? `  STALE: ${i.stale}` : ''}${i.error ? `  [${i.error.code}: ${i.error.message}]` : ''}`;
}

export const indexCommand: CliCommand = {
  name: 'index',
  summary: 'Build a feature index (SAE activations of a model over a dataset), or list, remove or export indexes.',
  usage: USAGE,
  options: {
    model: { type: 'string' },
    'model-a': { type: 'string' },
    sae: { type: 'string' },
    dataset: { type: 'string' },
    'max-tokens': { type: 'string' },
    'max-documents': { type: 'string' },
    'context-size': { type: 'string' },
    'top-n': { type: 'string' },
    'text-column': { type: 'string' },
    device: { type: 'string' },
    json: { type: 'boolean' },
    format: { type: 'string' },
    out: { type: 'string' },
    ...overwriteOption,
  },
  async run({ values, positionals }, ctx) {
    const [sub, arg] = positionals;
    if (sub === 'list') {
      const list = await catalog(ctx).list();
      if (values.json) ctx.stdout(JSON.stringify(list, null, 2));
      else if (list.length === 0) ctx.stdout('No feature indexes. Build one with: sae-workbench index --model <dir> --sae <dir> --dataset <path>');
      else list.forEach((i) => ctx.stdout(describeIndex(i)));
      return 0;
    }
    if (sub === 'recover') {
      // After the app database was lost: finished index files in <home>/index are listed again.
      prepareHome(ctx.home);
      const report = registerIndexFiles(ctx.home, openDatabase(ctx.home));
      if (values.json) ctx.stdout(JSON.stringify(report, null, 2));
      else {
        ctx.stdout(report.registered.length ? `Registered again: ${report.registered.join(', ')}.` : 'No unlisted index files were found.');
        for (const s of report.skipped) ctx.stdout(`Not registered: ${s.file}: ${s.why}`);
      }
      return 0;
    }
    if (sub === 'remove') {
      if (!arg) throw new WorkbenchError('BAD_ARGUMENT', 'index remove needs an index id.', 'See `sae-workbench index list`.');
      catalog(ctx).remove(arg);
      ctx.stdout(`Removed ${arg}.`);
      return 0;
    }
    if (sub === 'export') {
      if (!arg) throw new WorkbenchError('BAD_ARGUMENT', 'index export needs an index id.', `Usage: ${USAGE}`);
      if (values.format !== 'parquet') throw new WorkbenchError('BAD_ARGUMENT', `--format must be parquet${values.format ? `, got "${String(values.format)}"` : ''}.`, `Usage: ${USAGE}`);
      requiredString(values, 'out', USAGE);
      prepareHome(ctx.home);
      const db = openDatabase(ctx.home);
      const reader = new IndexCatalog(ctx.home, db).reader(arg);
      const { labels } = await listLabels(db, { index: arg });
      const out = exportIndexParquet(reader, outputChoice(values)!, labels);
      ctx.stdout(JSON.stringify({ dir: out.dir, files: out.files, activation_rows: out.activationRows, token_rows: out.tokenRows }));
      return 0;
    }
    if (sub !== undefined) throw new WorkbenchError('BAD_ARGUMENT', `Unknown index subcommand "${sub}".`, `Usage: ${USAGE}`);
    return build(values, ctx);
  },
};

async function build(values: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const parsed = IndexBuildParamsSchema.safeParse({
    modelPath: requiredString(values as never, 'model', USAGE),
    saePaths: commaList(requiredString(values as never, 'sae', USAGE), 'sae'),
    datasetPath: requiredString(values as never, 'dataset', USAGE),
    ...(typeof values['model-a'] === 'string' ? { modelAPath: values['model-a'] } : {}),
    textColumn: values['text-column'],
    maxTokens: positiveInt(values, 'max-tokens'),
    maxDocuments: positiveInt(values, 'max-documents'),
    contextSize: positiveInt(values, 'context-size'),
    topN: positiveInt(values, 'top-n'),
    device: parseDeviceChoice(values.device as string | undefined),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WorkbenchError('BAD_ARGUMENT', `${issue?.path.join('.') || 'arguments'}: ${issue?.message}`, `Usage: ${USAGE}`);
  }
  const params = parsed.data;
  // Refused here, before a job exists, like the app does.
  await prepareIndexBuild(params);
  const bar = progressPrinter(ctx);
  const job = await runJobInForeground(ctx, INDEX_BUILD_JOB_KIND, params, (j) => {
    const detail = j.progressDetail as IndexBuildProgress | null;
    if (j.state === 'running') bar.update(j.progress, detail ? `${detail.phase} · ${detail.tokens.toLocaleString('en-US')} tokens · ${Math.round(detail.tokensPerSecond).toLocaleString('en-US')} tok/s` : (j.progressMessage ?? ''));
  });
  bar.done();
  if (job.state !== 'completed') {
    if (job.error) throw new WorkbenchError(job.error.code, job.error.message, job.error.hint);
    ctx.stderr(`The index build was ${job.state}. Its work so far is kept: retry job ${job.id} in the Queue to continue it.`);
    return 130;
  }
  ctx.stdout(JSON.stringify(indexBuildJson(job.result as IndexBuildResult)));
  return 0;
}
