import path from 'node:path';
import type { JobView } from '../../preload/api';
import { createCore } from '../api/core';
import { validateApiParams } from '../api/validateParams';
import { openDatabase } from '../db/connection';
import { WorkbenchError } from '../errors';
import { prepareHome } from '../home';
import { homeLockOwner } from '../lock';
import { guardProcess, wrapperPids } from '../processGuard';
import { jobKinds } from '../jobKinds';
import { paramFields, paramsJsonSchema } from '../jobs/paramsSchema';
import { JobStore } from '../jobs/store';
import type { CliCommand, CliContext } from './command';
import { runJobHere } from './jobsRun';
import { checkJobTarget, onOption } from './clusterTarget';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

function store(home: string) {
  prepareHome(home);
  const db = openDatabase(home);
  return { db, store: new JobStore(db, (k) => jobKinds.isPausable(k)) };
}

function formatJob(j: JobView): string {
  const pct = j.progress == null ? '   -' : `${Math.round(j.progress * 100)}%`.padStart(4);
  const ran = j.executionProvider ? `  (ran on ${j.executionProvider})` : '';
  return `${j.id}  ${j.state.padEnd(11)} ${pct}  ${j.kind.padEnd(18)} ${j.title}${ran}${j.error ? `  [${j.error.code}: ${j.error.message}]` : ''}`;
}

/**
 * A job as `jobs list --json` prints it: the API's view, with the execution provider under the
 * name scripts read, "execution_provider" ("cpu", "webgpu", "cuda"; null: it ran no model), and
 * "cpu_fallback_pct" (the largest share of a GPU session's nodes that ran on the CPU; null: no GPU session).
 */
export function jobJsonRow(j: JobView): Omit<JobView, 'executionProvider' | 'cpuFallbackPct'> & { execution_provider: string | null; cpu_fallback_pct: number | null } {
  const { executionProvider, cpuFallbackPct, ...rest } = j;
  return { ...rest, execution_provider: executionProvider, cpu_fallback_pct: cpuFallbackPct };
}

export const jobsCommand: CliCommand = {
  name: 'jobs',
  summary: 'List, add or cancel queued jobs.',
  usage: [
    'sae-workbench jobs list [--json]',
    'sae-workbench jobs kinds [--json]                 the job kinds and their parameters',
    'sae-workbench jobs add <kind> [--params JSON] [--priority N] [--wait] [--on <cluster>]',
    'sae-workbench jobs cancel <id>',
    'sae-workbench jobs run <kind> --job-id ID --params-file F --report DIR [--resume]   run one job here in the foreground (what a cluster node runs)',
  ].join('\n       '),
  moreHelp: () => ['Job kinds (--params keys; `jobs kinds` describes each):', ...jobKinds.all().map((k) => `  ${k.kind.padEnd(16)} ${paramFields(paramsJsonSchema(k.params)).map((f) => (f.required ? f.key : `[${f.key}]`)).join(' ') || '(no parameters)'}`)],
  options: { json: { type: 'boolean' }, params: { type: 'string' }, priority: { type: 'string' }, wait: { type: 'boolean' }, ...onOption, 'job-id': { type: 'string' }, 'params-file': { type: 'string' }, report: { type: 'string' }, resume: { type: 'boolean' } },
  async run({ values, positionals }, ctx) {
    const [sub, arg] = positionals;
    switch (sub) {
      case 'list': {
        const { db, store: s } = store(ctx.home);
        const jobs = s.list();
        db.close();
        if (values.json) ctx.stdout(JSON.stringify(jobs.map(jobJsonRow), null, 2));
        else if (jobs.length === 0) ctx.stdout('No jobs.');
        else jobs.forEach((j) => ctx.stdout(formatJob(j)));
        return 0;
      }
      case 'kinds':
        describeKinds(values.json === true, ctx);
        return 0;
      case 'add':
        if (!arg) throw new WorkbenchError('BAD_ARGUMENT', 'jobs add needs a job kind.', 'Example: sae-workbench jobs add files.verify --params \'{"paths":["model.safetensors"]}\'');
        return addJob(arg, values, ctx);
      case 'run': {
        if (!arg) throw new WorkbenchError('BAD_ARGUMENT', 'jobs run needs a job kind.', `Usage: ${jobsCommand.usage}`);
        const need = (name: string) => {
          const v = values[name];
          if (typeof v !== 'string' || !v) throw new WorkbenchError('BAD_ARGUMENT', `jobs run needs --${name}.`, `Usage: ${jobsCommand.usage}`);
          return v;
        };
        return runJobHere({ kind: arg, jobId: need('job-id'), paramsFile: path.resolve(need('params-file')), reportDir: path.resolve(need('report')), resume: values.resume === true }, ctx);
      }
      case 'cancel': {
        if (!arg) throw new WorkbenchError('BAD_ARGUMENT', 'jobs cancel needs a job id.', 'See `sae-workbench jobs list`.');
        const { db, store: s } = store(ctx.home);
        const job = s.get(arg);
        if (!job) throw new WorkbenchError('JOB_NOT_FOUND', `There is no job ${arg}.`, 'See `sae-workbench jobs list`.');
        if (job.state === 'running' || job.state === 'pausing') {
          // The owning core notices within a second and stops the worker.
          s.update(arg, { state: 'cancelling' });
        } else if (!TERMINAL.has(job.state)) {
          s.update(arg, { state: 'cancelled', finishedAt: Date.now() });
        }
        ctx.stdout(formatJob(s.get(arg)!));
        db.close();
        return 0;
      }
      default:
        throw new WorkbenchError('BAD_ARGUMENT', `Unknown jobs subcommand "${sub ?? ''}".`, `Usage: ${jobsCommand.usage}`);
    }
  },
};

function describeKinds(json: boolean, ctx: CliContext): void {
  const kinds = jobKinds.all().map((k) => ({ kind: k.kind, description: k.description, resource: typeof k.resource === 'function' ? 'depends on params' : k.resource, pausable: k.pausable, paramsSchema: paramsJsonSchema(k.params) }));
  if (json) {
    ctx.stdout(JSON.stringify(kinds, null, 2));
    return;
  }
  for (const k of kinds) {
    ctx.stdout(`${k.kind}  (${k.resource}${k.pausable ? ', pausable' : ''})`);
    ctx.stdout(`  ${k.description}`);
    const fields = paramFields(k.paramsSchema);
    if (fields.length === 0) ctx.stdout('  no parameters: --params \'{}\'');
    for (const f of fields) {
      ctx.stdout(`  ${f.key}  ${f.type}${f.required ? ', required' : ''}${f.default !== undefined ? `, default ${JSON.stringify(f.default)}` : ''}`);
      if (f.description) ctx.stdout(`      ${f.description}`);
    }
    ctx.stdout('');
  }
}

async function addJob(kind: string, values: Record<string, unknown>, ctx: CliContext): Promise<number> {
  let params: unknown = {};
  if (typeof values.params === 'string') {
    try {
      params = JSON.parse(values.params);
    } catch {
      throw new WorkbenchError('BAD_ARGUMENT', '--params is not valid JSON.', 'Quote it for your shell: --params \'{"paths":["a.bin"]}\'');
    }
  }
  // The API's own checks and wording: the contract (priority an integer from -100 to 100), then the kind's params.
  const target = typeof values.on === 'string' ? values.on : undefined;
  const request = validateApiParams('jobs.add', { kind, params, priority: priorityOption(values.priority), target });
  const priority = request.priority ?? 0;
  const k = jobKinds.find(kind);
  const parsed = jobKinds.parseParams(kind, request.params);
  if (target) checkJobTarget(ctx.home, target, kind);
  if (!values.wait || homeLockOwner(ctx.home) !== null) {
    // Queue through the database; a running app's scheduler picks it up within a second.
    const { db, store: s } = store(ctx.home);
    const job = s.insert({ kind, title: k.title(parsed, { home: ctx.home }), params: parsed, priority, resource: typeof k.resource === 'function' ? k.resource(parsed) : k.resource, target: target ?? null });
    ctx.stdout(formatJob(job));
    if (values.wait) return waitByPolling(s, job.id, ctx).finally(() => db.close());
    db.close();
    if (homeLockOwner(ctx.home) === null) ctx.stdout('Queued. It runs when the app (npm start / npm run serve) opens; add --wait to run it now.');
    return 0;
  }
  const core = createCore({ home: ctx.home, frontDoor: 'cli' });
  const added = await core.call('jobs.add', { kind, params: parsed, priority, target });
  if (!added.ok) {
    await core.close();
    throw new WorkbenchError(added.error.code, added.error.message, added.error.hint);
  }
  const job = added.result as JobView;
  ctx.stdout(formatJob(job));
  let unguard = () => {};
  let interrupted = () => {};
  const final = await new Promise<JobView | null>((resolve) => {
    // Like serve: Ctrl+C or a vanished wrapper stops the core cleanly (the job checkpoints or is interrupted).
    unguard = guardProcess({ log: core.log, stop: () => resolve(null), watchPids: wrapperPids() });
    interrupted = () => resolve(null);
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    core.subscribe((event, payload) => {
      const j = payload as JobView;
      if (event === 'job.updated' && j.id === job.id) {
        if (j.progress != null && process.stderr.isTTY) process.stderr.write(`\r${Math.round(j.progress * 100)}% ${j.progressMessage ?? ''}`.padEnd(60));
        if (TERMINAL.has(j.state)) resolve(j);
      }
    });
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  await core.close();
  unguard();
  process.off('SIGINT', interrupted);
  process.off('SIGTERM', interrupted);
  if (!final) {
    ctx.stderr('Stopped before the job finished; it continues (or can be resumed) when the app runs.');
    return 1;
  }
  ctx.stdout(formatJob(final));
  return final.state === 'completed' ? 0 : 1;
}

/** --priority as a number when it reads as one; anything else goes to the contract as given, to be refused there. */
function priorityOption(value: unknown): unknown {
  if (value === undefined) return undefined;
  const n = Number(value);
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(n) ? n : value;
}

async function waitByPolling(s: JobStore, id: string, ctx: CliContext): Promise<number> {
  for (;;) {
    const j = s.view(id)!;
    if (TERMINAL.has(j.state)) {
      ctx.stdout(formatJob(j));
      return j.state === 'completed' ? 0 : 1;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
