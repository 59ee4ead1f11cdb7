import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { parseDeviceChoice } from '../engine/executionProviders';
import { JobStopped, type StopReason } from '../jobs/kind';
import { crosscoderSummary } from '../jobOutputs';
import { planOutput } from '../outputs/outputPath';
import { CROSSCODER_RUN_FILES, crosscoderFolderOutput, crosscoderRunFilesOutput } from '../train/crosscoderOutput';
import { runTrainCrosscoder } from '../train/crosscoderRun';
import { PARAMS_FILE, type TrainOutputRule } from '../train/trainOutput';
import { TrainCrosscoderParamsSchema, type TrainCrosscoderParams } from '../../preload/contract/crosscoder';
import type { CliCommand } from './command';
import { commaList, numberFlag, requiredString } from './cliOptions';

const usage =
  'sae-workbench crosscoder --model-a <dir> --model-b <dir> --hook <name>[,<name_b>] --dataset <path> --k N --d-sae N --tokens N --out <dir> [--batch-size N] [--lr X] [--lr-sweep] [--device auto|cpu|cuda|webgpu] [--resume <run dir>] [--home <dir>]\n' +
  '       [--overwrite] [--loop] [--eval-tokens N] [--norm-tokens N] [--context-size N] [--seed N] [--text-column C] [--checkpoint-every N]';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The params the command line gives (only the flags present). */
function paramsFromFlags(values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (key: string, v: unknown) => v !== undefined && (out[key] = v);
  const num = (name: string, integer = true) => numberFlag(values, name, usage, integer);
  set('modelA', values['model-a']);
  set('modelB', values['model-b']);
  if (typeof values.hook === 'string') {
    const hooks = commaList(values.hook, 'hook');
    if (hooks.length > 2) throw new WorkbenchError('BAD_ARGUMENT', `--hook "${values.hook}" names ${hooks.length} hooks; a crosscoder reads one hook per model.`, 'Give --hook <name> (the same in both models) or --hook <name_a>,<name_b>.');
    out.hookA = hooks[0];
    if (hooks.length === 2) out.hookB = hooks[1];
  }
  set('dataset', values.dataset);
  set('textColumn', values['text-column']);
  set('k', num('k'));
  set('dSae', num('d-sae'));
  set('tokens', num('tokens'));
  set('batchSize', num('batch-size'));
  set('lr', num('lr', false));
  set('evalTokens', num('eval-tokens'));
  set('normTokens', num('norm-tokens'));
  set('contextSize', num('context-size'));
  set('seed', num('seed'));
  set('checkpointEverySteps', num('checkpoint-every'));
  if (values.loop) out.loopDataset = true;
  if (values['lr-sweep']) out.lrSweep = true;
  if (values.overwrite) out.overwrite = true;
  if (values.device !== undefined) out.device = parseDeviceChoice(values.device as string);
  return out;
}

const FLAGS: Record<string, string> = { modelA: '--model-a', modelB: '--model-b', hookA: '--hook', hookB: '--hook', dataset: '--dataset', k: '--k', dSae: '--d-sae', tokens: '--tokens', batchSize: '--batch-size', lr: '--lr', normTokens: '--norm-tokens' };

function validate(raw: unknown): TrainCrosscoderParams {
  const parsed = TrainCrosscoderParamsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  throw new WorkbenchError('BAD_ARGUMENT', `${FLAGS[field] ?? field}: ${issue?.message}.`, `Usage: ${usage}`);
}

/** A resumed run takes its own params.json; flags given again must agree with it (device aside). */
function resumeParams(runDir: string, flags: Record<string, unknown>): TrainCrosscoderParams {
  let saved: unknown;
  try {
    saved = JSON.parse(fs.readFileSync(path.join(runDir, PARAMS_FILE), 'utf8'));
  } catch {
    throw new WorkbenchError('RESUME_NOT_A_RUN', `${runDir} is not a crosscoder run folder (no readable ${PARAMS_FILE}).`, 'Pass the --out folder of an earlier `sae-workbench crosscoder`.');
  }
  const params = validate(saved);
  for (const [key, value] of Object.entries(flags)) {
    if (key === 'device' || key === 'overwrite') continue;
    const was = (params as Record<string, unknown>)[key];
    if (JSON.stringify(was) !== JSON.stringify(value)) {
      throw new WorkbenchError('RESUME_MISMATCH', `--resume: the run in ${runDir} was started with ${FLAGS[key] ?? key} ${JSON.stringify(was)}, not ${JSON.stringify(value)}.`, 'Resume with the run\'s own settings (leave the flag out), or train into a new --out folder.');
    }
  }
  return { ...params, overwrite: flags.overwrite === true, ...(flags.device ? { device: flags.device as TrainCrosscoderParams['device'] } : {}) };
}

/**
 * `crosscoder`: train a BatchTopK crosscoder over two models in this process (no queue), writing
 * the run (params.json, checkpoint, metrics.jsonl, inputs.json) and the crosscoder (cfg.json,
 * crosscoder_weights.safetensors, README.md, ...) into --out. Ctrl-C pauses at a checkpoint;
 * `--resume <dir>` continues a paused or killed run. Built as `train` is.
 */
export const crosscoderCommand: CliCommand = {
  name: 'crosscoder',
  summary: 'Train a BatchTopK crosscoder over two models\' paired activations (checkpoints, per-model FVE, Δnorm bands).',
  usage,
  options: {
    'model-a': { type: 'string' },
    'model-b': { type: 'string' },
    hook: { type: 'string' },
    dataset: { type: 'string' },
    'text-column': { type: 'string' },
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
    'norm-tokens': { type: 'string' },
    'context-size': { type: 'string' },
    seed: { type: 'string' },
    'checkpoint-every': { type: 'string' },
    overwrite: { type: 'boolean' },
  },
  async run({ values }, ctx) {
    const flags = paramsFromFlags(values);
    const rule: TrainOutputRule = { origin: { surface: 'cli', cwd: process.cwd() }, overwrite: values.overwrite === true, option: values.resume === undefined ? '--out' : '--resume' };
    let runDir: string;
    let params: TrainCrosscoderParams;
    if (typeof values.resume === 'string') {
      runDir = path.resolve(values.resume);
      if (values.out !== undefined && path.resolve(values.out as string) !== runDir) throw new WorkbenchError('BAD_ARGUMENT', '--out and --resume name different folders.', 'A resumed run writes into its own folder: give --resume alone.');
      params = resumeParams(runDir, flags);
    } else {
      runDir = path.resolve(requiredString(values, 'out', usage));
      for (const flag of ['model-a', 'model-b', 'hook', 'dataset']) requiredString(values, flag, usage);
      params = validate(flags);
      if (!rule.overwrite && fs.existsSync(path.join(runDir, PARAMS_FILE))) {
        throw new WorkbenchError('RUN_EXISTS', `${runDir} already holds a training run.`, `Continue it with --resume ${runDir}, choose another --out folder, or add --overwrite to start a new run there (its params, checkpoint and metrics are replaced; other files stay).`);
      }
      planOutput(crosscoderRunFilesOutput(params, runDir, rule));
    }
    planOutput(crosscoderFolderOutput(params, runDir, rule));
    if (values.resume === undefined && rule.overwrite) for (const f of CROSSCODER_RUN_FILES) fs.rmSync(path.join(runDir, f), { force: true });
    let stop: StopReason | null = null;
    const onSignal = () => {
      if (stop) process.exit(130);
      stop = 'pause';
      ctx.stderr('Pausing at the next step (checkpoint, then exit); press Ctrl-C again to quit at once.');
    };
    process.on('SIGINT', onSignal);
    let lastPrint = 0;
    try {
      const result = await runTrainCrosscoder(params, {
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
      ctx.stdout(JSON.stringify(crosscoderSummary(result)));
      return 0;
    } catch (err) {
      if (err instanceof JobStopped) {
        ctx.stderr(`Paused. Continue with: sae-workbench crosscoder --resume ${runDir}`);
        return 130;
      }
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
    }
  },
};
