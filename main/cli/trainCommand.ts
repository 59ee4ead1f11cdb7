import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { parseDeviceChoice } from '../engine/executionProviders';
import { JobStopped, type StopReason } from '../jobs/kind';
import { planOutput } from '../outputs/outputPath';
import { runTrainSae } from '../train/trainRun';
import { PARAMS_FILE, RUN_FILES, runFilesOutput, saeFoldersOutput, type TrainOutputRule } from '../train/trainOutput';
import type { CliCommand } from './command';
import { commaList, requiredString } from './cliOptions';
import { trainSummary } from '../jobOutputs';
import { TRAIN_SAE_KIND, TrainSaeParamsSchema, type TrainRunResult, type TrainSaeParams } from '../../preload/contract/train';
import { onOption, targetOf } from './clusterTarget';
import { followOnCluster } from './foregroundJob';

const usage =
  'sae-workbench train --model <dir> --hook <name>[,<name>...] --dataset <path> --k 40 --d-sae 4096 --tokens <N> --out <dir> [--overwrite] [--batch-size N] [--lr X] [--device auto|cpu|cuda|webgpu] [--resume <run dir>] [--on <cluster>] [--home <dir>]\n' +
  '       [--arch topk|batchtopk] [--normalize-activations none|expected_average_only_in] [--b-dec-init zeros|mean|geometric_median] [--loop] [--lr-sweep] [--eval-tokens N] [--context-size N] [--seed N] [--text-column C] [--checkpoint-every N] [--cache]';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function numberOption(values: Values, name: string, integer = true): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new WorkbenchError('BAD_ARGUMENT', `--${name} "${String(v)}" is not ${integer ? 'an integer' : 'a number'}.`, `Usage: ${usage}`);
  }
  return n;
}

/** The params the command line gives (only the flags present). */
function paramsFromFlags(values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (key: string, v: unknown) => v !== undefined && (out[key] = v);
  set('model', values.model);
  if (typeof values.hook === 'string') out.hooks = commaList(values.hook, 'hook');
  set('dataset', values.dataset);
  set('textColumn', values['text-column']);
  set('architecture', values.arch);
  set('normalizeActivations', values['normalize-activations']);
  set('bDecInit', values['b-dec-init']);
  set('k', numberOption(values, 'k'));
  set('dSae', numberOption(values, 'd-sae'));
  set('tokens', numberOption(values, 'tokens'));
  set('batchSize', numberOption(values, 'batch-size'));
  set('lr', numberOption(values, 'lr', false));
  set('evalTokens', numberOption(values, 'eval-tokens'));
  set('contextSize', numberOption(values, 'context-size'));
  set('seed', numberOption(values, 'seed'));
  set('checkpointEverySteps', numberOption(values, 'checkpoint-every'));
  if (values.loop) out.loopDataset = true;
  if (values['lr-sweep']) out.lrSweep = true;
  if (values.cache) out.cacheActivations = true;
  if (values.overwrite) out.overwrite = true;
  if (values.device !== undefined) out.device = parseDeviceChoice(values.device as string);
  return out;
}

function validate(raw: unknown): TrainSaeParams {
  const parsed = TrainSaeParamsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  const flag = { model: '--model', hooks: '--hook', dataset: '--dataset', k: '--k', dSae: '--d-sae', tokens: '--tokens', batchSize: '--batch-size', lr: '--lr', normalizeActivations: '--normalize-activations', bDecInit: '--b-dec-init', architecture: '--arch' }[field] ?? field;
  throw new WorkbenchError('BAD_ARGUMENT', `${flag}: ${issue?.message}.`, `Usage: ${usage}`);
}

/** A resumed run takes its own params.json; flags given again must agree with it (device aside). */
function resumeParams(runDir: string, flags: Record<string, unknown>): TrainSaeParams {
  const file = path.join(runDir, PARAMS_FILE);
  let saved: unknown;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new WorkbenchError('RESUME_NOT_A_RUN', `${runDir} is not a training run folder (no readable ${PARAMS_FILE}).`, 'Pass the --out folder of an earlier `sae-workbench train`.');
  }
  const params = validate(saved);
  for (const [key, value] of Object.entries(flags)) {
    // Where to run and whether to replace existing SAE files are this invocation's choices.
    if (key === 'device' || key === 'overwrite') continue;
    if (JSON.stringify((params as Record<string, unknown>)[key]) !== JSON.stringify(value)) {
      throw new WorkbenchError('RESUME_MISMATCH', `--resume: the run in ${runDir} was started with ${key} = ${JSON.stringify((params as Record<string, unknown>)[key])}, not ${JSON.stringify(value)}.`, 'Resume with the run\'s own settings (leave the flag out), or train into a new --out folder.');
    }
  }
  return { ...params, overwrite: flags.overwrite === true, ...(flags.device ? { device: flags.device as TrainSaeParams['device'] } : {}) };
}

/**
 * `train`: train SAEs in this process (no queue), writing the run (params.json, checkpoint,
 * metrics.jsonl) and one sae_lens folder per hook into --out. Ctrl-C pauses at a checkpoint;
 * `--resume <dir>` continues a paused or killed run.
 */
export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'Train TopK / BatchTopK SAEs on a model\'s hook activations (sae_lens output, checkpoints, evals).',
  usage,
  options: {
    model: { type: 'string' },
    hook: { type: 'string' },
    dataset: { type: 'string' },
    'text-column': { type: 'string' },
    arch: { type: 'string' },
    'normalize-activations': { type: 'string' },
    'b-dec-init': { type: 'string' },
    k: { type: 'string' },
    'd-sae': { type: 'string' },
    tokens: { type: 'string' },
    out: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    device: { type: 'string' },
    resume: { type: 'string' },
    loop: { type: 'boolean' },
    'lr-sweep': { type: 'boolean' },
    'eval-tokens': { type: 'string' },
    'context-size': { type: 'string' },
    seed: { type: 'string' },
    'checkpoint-every': { type: 'string' },
    cache: { type: 'boolean' },
    overwrite: { type: 'boolean' },
    ...onOption,
  },
  async run({ values }, ctx) {
    const flags = paramsFromFlags(values);
    const target = targetOf(values);
    if (target) return trainOnCluster(values, flags, target, ctx);
    const rule: TrainOutputRule = { origin: { surface: 'cli', cwd: process.cwd() }, overwrite: values.overwrite === true, option: values.resume === undefined ? '--out' : '--resume' };
    let runDir: string;
    let params: TrainSaeParams;
    if (typeof values.resume === 'string') {
      runDir = path.resolve(values.resume);
      if (values.out !== undefined && path.resolve(values.out as string) !== runDir) throw new WorkbenchError('BAD_ARGUMENT', '--out and --resume name different folders.', 'A resumed run writes into its own folder: give --resume alone.');
      params = resumeParams(runDir, flags);
    } else {
      runDir = path.resolve(requiredString(values, 'out', usage));
      for (const [flag, key] of [['model', 'model'], ['hook', 'hooks'], ['dataset', 'dataset']] as const) if (flags[key] === undefined) requiredString(values, flag, usage);
      params = validate(flags);
      if (!rule.overwrite && fs.existsSync(path.join(runDir, PARAMS_FILE))) {
        throw new WorkbenchError('RUN_EXISTS', `${runDir} already holds a training run.`, `Continue it with --resume ${runDir}, choose another --out folder, or add --overwrite to start a new run there (its params, checkpoint and metrics are replaced; other files stay).`);
      }
      planOutput(runFilesOutput(params, runDir, rule));
    }
    // Both outputs checked before any work: the run's files and one SAE folder per hook.
    planOutput(saeFoldersOutput(params, runDir, rule));
    if (values.resume === undefined && rule.overwrite) {
      // A new run replaces an old run's own files (else it would resume it); nothing else.
      for (const f of RUN_FILES) fs.rmSync(path.join(runDir, f), { force: true });
    }
    let stop: StopReason | null = null;
    const onSignal = () => {
      if (stop) process.exit(130);
      stop = 'pause';
      ctx.stderr('Pausing at the next step (checkpoint, then exit); press Ctrl-C again to quit at once.');
    };
    process.on('SIGINT', onSignal);
    let lastPrint = 0;
    try {
      const result = await runTrainSae(params, {
        runDir,
        outDir: runDir,
        output: rule,
        home: ctx.home,
        log: (level, message) => ctx.stderr(`${level === 'info' ? '' : `${level}: `}${message}`),
        progress: (fraction, message) => {
          const now = Date.now();
          if (now - lastPrint < 2000 && fraction < 1) return;
          lastPrint = now;
          ctx.stderr(`${(fraction * 100).toFixed(1).padStart(5)}% ${message}`);
        },
        stopRequested: () => stop,
      });
      ctx.stdout(JSON.stringify(trainSummary(result)));
      return 0;
    } catch (err) {
      if (err instanceof JobStopped) {
        ctx.stderr(`Paused. Continue with: sae-workbench train --resume ${runDir}`);
        return 130;
      }
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
    }
  },
};

/**
 * `train --on <cluster>`: the same run as a train.sae job on the cluster, its SAE folders brought
 * home into --out, followed here with the progress bar; the same final JSON line, plus
 * "slurm_job_id". A paused or stopped remote run continues from the Queue (jobs), not --resume.
 */
async function trainOnCluster(values: Values, flags: Record<string, unknown>, target: string, ctx: Parameters<CliCommand['run']>[1]): Promise<number> {
  if (values.resume !== undefined) throw new WorkbenchError('BAD_ARGUMENT', '--resume and --on cannot go together.', 'A run on a cluster continues from its checkpoint there: resume or retry its job in the Queue (sae-workbench jobs list).');
  const out = path.resolve(requiredString(values, 'out', usage));
  for (const [flag, key] of [['model', 'model'], ['hook', 'hooks'], ['dataset', 'dataset']] as const) if (flags[key] === undefined) requiredString(values, flag, usage);
  // Inputs named relative to here are absolute for the job (the app's queue takes absolute paths only).
  const params = validate({ ...flags, model: path.resolve(flags.model as string), dataset: path.resolve(flags.dataset as string), out });
  const { job, slurmJobId } = await followOnCluster(ctx, TRAIN_SAE_KIND, params, target);
  ctx.stdout(JSON.stringify({ ...(trainSummary(job.result as TrainRunResult) as object), slurm_job_id: slurmJobId }));
  return 0;
}
