import { DiffParamsSchema, MatchParamsSchema, type DiffResult } from '../../preload/api';
import { runDiff, runMatch } from '../compare/runCompare';
import { openDatabase } from '../db/connection';
import { parseDeviceChoice } from '../engine/executionProviders';
import { WorkbenchError } from '../errors';
import { prepareHome } from '../home';
import { diffJson, matchJson } from '../jobOutputs';
import { outputChoice, overwriteOption, requiredString } from './cliOptions';
import type { CliCommand, CliContext } from './command';

const MATCH_USAGE = 'sae-workbench match --a <index_id> --b <index_id> [--method activation|decoder|auto] [--device ...] --json';
const DIFF_USAGE =
  'sae-workbench diff --a <index_id> --b <index_id> --condition <spec> [--match activation|decoder|auto] [--min-rate R] [--threshold T] [--floor F] [--out DIR [--overwrite]] [--json]\n       <spec>: token-regex:<re> | context-regex:<re> | ids:<id,...> | position:<N|<N|>=N|A-B|first> | named:<name>, joined with " && " (<re>: RE2 syntax, no backreferences or lookaround)';

function parsed<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown, usage: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new WorkbenchError('BAD_ARGUMENT', `${issue.path.join('.') || 'arguments'}: ${issue.message}`, `Usage: ${usage}`);
  }
  return r.data;
}

function numberOption(values: Record<string, unknown>, name: string, usage: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new WorkbenchError('BAD_ARGUMENT', `--${name} "${String(v)}" is not a number.`, `Usage: ${usage}`);
  return n;
}

function host(ctx: CliContext) {
  prepareHome(ctx.home);
  return { home: ctx.home, db: openDatabase(ctx.home), progress: (f: number, m: string) => process.stderr.isTTY && process.stderr.write(`\r${Math.round(f * 100)}% ${m}`.padEnd(70)) };
}

export const matchCommand: CliCommand = {
  name: 'match',
  summary: 'Match every feature of index B to index A (activation correlation or decoder cosine) with a one-to-one assignment.',
  usage: MATCH_USAGE,
  options: { a: { type: 'string' }, b: { type: 'string' }, method: { type: 'string' }, device: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values }, ctx) {
    const params = parsed(MatchParamsSchema, { a: requiredString(values, 'a', MATCH_USAGE), b: requiredString(values, 'b', MATCH_USAGE), method: values.method, device: parseDeviceChoice(values.device as string | undefined) }, MATCH_USAGE);
    const h = host(ctx);
    try {
      const r = await runMatch(h, params);
      if (process.stderr.isTTY) process.stderr.write('\n');
      for (const w of r.warnings) ctx.stderr(`Warning: ${w}`);
      if (values.json) ctx.stdout(JSON.stringify(matchJson(r)));
      else {
        const matched = r.features.filter((f) => f.match !== null);
        ctx.stdout(`${r.b.labels.model} ${r.b.hookName} -> ${r.a.labels.model} ${r.a.hookName} by ${r.method}: ${matched.length} of ${r.features.length} features have a match, ${r.features.filter((f) => f.assigned !== null).length} a one-to-one partner.`);
      }
      return 0;
    } finally {
      h.db.close();
    }
  },
};

export const diffCommand: CliCommand = {
  name: 'diff',
  summary: 'Condition diff: features of B that fire at condition tokens (e.g. step-onset) and their match in A, ranked by asymmetry.',
  usage: DIFF_USAGE,
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    condition: { type: 'string' },
    match: { type: 'string' },
    'min-rate': { type: 'string' },
    threshold: { type: 'string' },
    floor: { type: 'string' },
    out: { type: 'string' },
    ...overwriteOption,
    device: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values }, ctx) {
    const params = parsed(
      DiffParamsSchema,
      {
        a: requiredString(values, 'a', DIFF_USAGE),
        b: requiredString(values, 'b', DIFF_USAGE),
        condition: requiredString(values, 'condition', DIFF_USAGE),
        method: values.match,
        minRate: numberOption(values, 'min-rate', DIFF_USAGE),
        threshold: numberOption(values, 'threshold', DIFF_USAGE),
        floor: numberOption(values, 'floor', DIFF_USAGE),
        device: parseDeviceChoice(values.device as string | undefined),
      },
      DIFF_USAGE,
    );
    const h = host(ctx);
    let r: DiffResult;
    try {
      r = await runDiff(h, params, outputChoice(values));
    } finally {
      h.db.close();
    }
    if (process.stderr.isTTY) process.stderr.write('\n');
    for (const w of r.matchWarnings) ctx.stderr(`Warning: ${w}`);
    if (values.json) {
      ctx.stdout(JSON.stringify(diffJson(r)));
      return 0;
    }
    ctx.stdout(r.sentence);
    ctx.stdout('feature  rate_b  elsewhere  match (score)   rate_a  asymmetry  why');
    for (const f of r.features.slice(0, 20)) {
      ctx.stdout(`${String(f.feature).padStart(7)}  ${f.rate_b.toFixed(3)}   ${f.rate_b_elsewhere.toFixed(3)}   ${f.match === null ? '     none      ' : `${String(f.match).padStart(5)} (${(f.match_score ?? 0).toFixed(2)})`}  ${(f.rate_a_match ?? 0).toFixed(3)}  ${f.asymmetry.toFixed(1).padStart(9)}  ${f.why}`);
    }
    if (r.files) ctx.stdout(`Written: ${r.files.json}, ${r.files.csv}`);
    return 0;
  },
};
