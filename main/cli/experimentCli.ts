/**
 * What the experiment commands (ablate, steer, swap, probe) share: the dataset-slice and null
 * options, number parsing, validation through the same zod schemas the job kinds use (errors name
 * the command-line option), progress on a terminal, and the --json / --out outputs.
 */
import type { z } from 'zod';
import type { ParseArgsConfig } from 'node:util';
import { WorkbenchError } from '../errors';
import type { ExperimentContext } from '../experiments/experimentContext';
import { planOutput, writeOutputFile, type PlannedOutput } from '../outputs/outputPath';
import type { CliContext } from './command';
import { outputChoice, overwriteOption } from './cliOptions';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export const sliceOptions: ParseArgsConfig['options'] = {
  dataset: { type: 'string' },
  'text-column': { type: 'string' },
  'max-documents': { type: 'string' },
  'context-size': { type: 'string' },
  device: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  ...overwriteOption,
};

export const nullOptions: ParseArgsConfig['options'] = {
  seeds: { type: 'string' },
  draws: { type: 'string' },
  'null-seed': { type: 'string' },
  margin: { type: 'string' },
};

/** Schema field -> option, where the option is not the field in kebab case. */
const OPTION_OF: Record<string, string> = { drawsPerSeed: 'draws', features: 'features' };

function optionName(field: string): string {
  return OPTION_OF[field] ?? field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function numberOption(values: Values, name: string, integer = true): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new WorkbenchError('BAD_ARGUMENT', `--${name} "${String(v)}" is not ${integer ? 'an integer' : 'a number'}.`, `Give --${name} a${integer ? 'n integer' : ' number'}, e.g. --${name} ${integer ? 5 : 2.5}.`);
  }
  return n;
}

export function numberList(value: string, name: string, integer: boolean): number[] {
  return value.split(',').map((s) => {
    const n = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new WorkbenchError('BAD_ARGUMENT', `--${name}: "${s}" is not ${integer ? 'an integer' : 'a number'}.`, `Separate values with commas, e.g. --${name} ${integer ? '12,40' : '0,4,8'}.`);
    return n;
  });
}

export function stringOption(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** The slice and null options as schema fields (undefined ones are left to the defaults). */
export function sliceAndNullFields(values: Values): Record<string, unknown> {
  return {
    dataset: stringOption(values, 'dataset'),
    textColumn: stringOption(values, 'text-column'),
    maxDocuments: numberOption(values, 'max-documents'),
    contextSize: numberOption(values, 'context-size'),
    device: stringOption(values, 'device'),
    seeds: numberOption(values, 'seeds'),
    drawsPerSeed: numberOption(values, 'draws'),
    nullSeed: numberOption(values, 'null-seed'),
    margin: numberOption(values, 'margin', false),
  };
}

/** Validate with the job kind's schema; the first problem names its option. */
export function parseWith<S extends z.ZodType>(schema: S, raw: Record<string, unknown>, usage: string): z.output<S> {
  const clean = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const parsed = schema.safeParse(clean);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = String(issue.path[0] ?? '');
  const where = field ? `--${optionName(field)}${issue.path.length > 1 ? ` (${issue.path.slice(1).join('.')})` : ''}` : 'the options';
  throw new WorkbenchError('BAD_ARGUMENT', `${where}: ${issue.message}.`, `Usage: ${usage}`);
}

/** Progress on a terminal's stderr; no checkpoints (a command runs to the end or not at all). */
export function cliExperimentContext(ctx: CliContext): ExperimentContext {
  const tty = process.stderr.isTTY;
  return {
    home: ctx.home,
    progress(fraction, message) {
      if (tty) process.stderr.write(`\r${fraction == null ? '' : `${Math.round(fraction * 100)}% `}${message ?? ''}`.padEnd(80).slice(0, 100));
    },
    log(level, message) {
      if (level === 'warn' || level === 'error') ctx.stderr(`${level}: ${message}`);
    },
    throwIfStopped() {},
    checkpoint: null,
    async saveCheckpoint() {},
  };
}

/** Fields of the experiment schemas that name something the experiment reads. */
const INPUT_FIELDS = ['model', 'sae', 'saeModel', 'modelA', 'modelB', 'dataset'] as const;

/** Every model, SAE and dataset the params name (panels and probes included), labelled by option. */
export function experimentInputs(params: unknown): { label: string; path: string }[] {
  const found: { label: string; path: string }[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [key, value] of Object.entries(v)) {
        if ((INPUT_FIELDS as readonly string[]).includes(key) && typeof value === 'string') found.push({ label: `--${optionName(key)}`, path: value });
        else if (typeof value === 'object') visit(value);
      }
    }
  };
  visit(params);
  return found;
}

/** --out checked by the output rule before the experiment runs (null when not given). */
export function planArtifactOutput(values: Values, params: unknown): PlannedOutput | null {
  const choice = outputChoice(values);
  return choice ? planOutput({ ...choice, kind: 'file', inputs: experimentInputs(params) }) : null;
}

/** Print the summary (--json: one JSON object) and write the artifact when --out asks. */
export function emit(values: Values, ctx: CliContext, out: PlannedOutput | null, artifact: unknown, summary: unknown, lines: string[]): number {
  if (process.stderr.isTTY) process.stderr.write('\n');
  const written = out ? writeOutputFile(out, `${JSON.stringify(artifact, null, 2)}\n`) : null;
  if (values.json) ctx.stdout(JSON.stringify(summary, null, 2));
  else {
    for (const l of lines) ctx.stdout(l);
    if (written) ctx.stdout(`Artifact (every parameter, input identities, per-seed draws): ${written}`);
  }
  return 0;
}
