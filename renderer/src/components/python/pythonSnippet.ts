/**
 * "Copy as Python": a snippet that reproduces a view's data with the Python client (python/):
 * connect, then the calls with the view's exact parameters. Keyword names come from the client's
 * own table (python/sae_workbench/cli_options.json: the CLI options in snake_case), read in reverse
 * from the job's parameters, so a copied snippet, a CLI call and a notebook cell read the same.
 */
import cliOptions from '../../../../python/sae_workbench/cli_options.json';

export type PyValue = string | number | boolean | null | undefined | PyValue[] | { [key: string]: PyValue };

/** One statement: `name = call(args..., key=value...)`, with a comment after it. */
export interface PyStatement {
  assign?: string;
  call: string;
  args?: PyValue[];
  kwargs?: Record<string, PyValue>;
  comment?: string;
}

type CommandTable = Record<string, { method: string; kind?: string; options: Record<string, [string, string]> }>;
const COMMANDS = cliOptions.commands as unknown as CommandTable;

/** A Python literal for a JSON value (str, int/float, True/False/None, list, dict). */
export function pyLiteral(v: PyValue): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'float("nan")' : `float("${v > 0 ? 'inf' : '-inf'}")`;
  // JSON's string escapes (\" \\ \n \uXXXX) are Python's too.
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x)}`).join(', ')}}`;
}

function statement(s: PyStatement): string {
  const parts = [...(s.args ?? []).map(pyLiteral), ...Object.entries(s.kwargs ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${pyLiteral(v)}`)];
  const oneLine = `${s.assign ? `${s.assign} = ` : ''}${s.call}(${parts.join(', ')})`;
  const text = oneLine.length <= 100 || parts.length < 2 ? oneLine : `${s.assign ? `${s.assign} = ` : ''}${s.call}(\n${parts.map((p) => `    ${p},`).join('\n')}\n)`;
  return s.comment ? `${text}  # ${s.comment}` : text;
}

export interface CoreInfo {
  home: string;
  frontDoor: string;
}

/** The whole snippet: the import, the connection to this app's core, the statements. */
export function pythonSnippet(statements: PyStatement[], core: CoreInfo | null): string {
  const lines = ['from sae_workbench import Workbench', ''];
  if (core?.frontDoor === 'electron') lines.push('# The desktop app serves no API to scripts: quit it, then run', `#   npx sae-workbench serve --headless --home ${core.home}`);
  lines.push(statement({ assign: 'wb', call: 'Workbench.connect', args: core ? [core.home] : [] }));
  return [...lines, ...statements.map(statement), ''].join('\n');
}

/**
 * The client call that runs a job kind with these parameters (schema fields, as the job recorded
 * them): its method with every parameter as a keyword, or `wb.queue(kind, params)` when a field
 * has no keyword (the CLI's `jobs add <kind> --params`).
 */
export function jobCall(kind: string, params: Record<string, unknown>, assign: string): PyStatement {
  const entry = Object.entries(COMMANDS).find(([, c]) => c.kind === kind);
  const raw = { call: 'wb.queue', args: [kind, params as PyValue], assign };
  if (!entry) return raw;
  const [command, { options }] = entry;
  const keywordOf = new Map(Object.entries(options).map(([keyword, [field]]) => [field, keyword]));
  const kwargs: Record<string, PyValue> = {};
  for (const [field, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (field === 'panels' && Array.isArray(value) && value.length === 1 && !(value[0] as { label?: string }).label) {
      // One unlabelled panel reads as the CLI's --model/--sae/--feature/... options.
      for (const [panelField, v] of Object.entries(value[0] as Record<string, PyValue>)) {
        const keyword = keywordOf.get(`panel.${panelField}`);
        if (!keyword) return raw;
        kwargs[keyword] = v;
      }
      continue;
    }
    const keyword = keywordOf.get(field);
    if (!keyword) return raw;
    kwargs[keyword] = field === 'probes' && Array.isArray(value) ? value.map(({ source: _source, ...probe }: Record<string, PyValue>) => probe) : (value as PyValue);
  }
  return { call: `wb.${command}`, kwargs, assign };
}

/** Features page: the index's feature table, and the open feature's page and activations. */
export function featuresStatements(indexId: string, feature: number | null): PyStatement[] {
  const out: PyStatement[] = [{ assign: 'features', call: 'wb.features', args: [indexId], comment: 'one row per feature: fire_count, density, max, mean' }];
  if (feature !== null) {
    out.push({ assign: 'feature', call: 'wb.feature', args: [indexId, feature], comment: 'its page; feature["top"] is a DataFrame' });
    out.push({ assign: 'activations', call: 'wb.activations', args: [indexId], kwargs: { features: [feature] }, comment: 'every token it fires on' });
  }
  return out;
}

/** Compare page: the diff and match as shown (a finished diff job: its recorded parameters and its result). */
export function compareStatements(view: { a: string; b: string; method: string; diff: { jobId: string; params: Record<string, unknown> } | null; form: Record<string, unknown> }): PyStatement[] {
  const out: PyStatement[] = [];
  if (view.diff) out.push({ assign: 'shown', call: `wb.job(${pyLiteral(view.diff.jobId)}).result`, comment: "this page's diff, as `diff --json` prints it" });
  const diffParams = view.diff?.params ?? { a: view.a, b: view.b, method: view.method, ...view.form };
  out.push({ ...jobCall('compare.diff', diffParams, 'diff'), comment: 'one row per B feature; diff.attrs holds the rest' });
  out.push({ ...jobCall('compare.match', { a: view.a, b: view.b, method: view.method }, 'matches') });
  return out;
}

/** An experiment result: the job's own result and artifact, and the call that runs it again. */
export function experimentStatements(jobId: string, kind: string, params: Record<string, unknown>): PyStatement[] {
  return [
    { assign: 'job', call: 'wb.job', args: [jobId], comment: 'this result' },
    { assign: 'result', call: 'job.result', comment: `what the CLI prints with --json` },
    { assign: 'artifact', call: 'job.artifact', comment: 'every parameter, the null draws' },
    { ...jobCall(kind, params, 'again'), comment: 'the same experiment, queued again' },
  ];
}
