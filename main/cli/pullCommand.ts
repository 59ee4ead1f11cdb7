import { HUB_DOWNLOAD_JOB_KIND, HubRepoTypes, hubDownloadProgressOf, type HubDownloadProgress, type HubDownloadResult, type HubRepoType, type JobView } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { hubDownloadJob } from '../hub/downloadJob';
import { parseRepoRef } from '../hub/repoRef';
import type { CliCommand, CliContext } from './command';
import { runJobInForeground } from './foregroundJob';
import { formatBytes } from '../../preload/api';

const USAGE = 'sae-workbench pull <repo id or Hub URL> [--revision R] [--include GLOB]... [--exclude GLOB]... [--repo-type model|dataset] [--parallel N] [--json]';

function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** One terminal line: bar, percent, bytes, rate, ETA, files, and the file being fetched. */
export function progressLine(p: HubDownloadProgress, width = 24): string {
  const fraction = p.total > 0 ? Math.min(1, p.bytes / p.total) : 1;
  const filled = Math.round(fraction * width);
  const active = p.files.find((f) => f.state === 'downloading' || f.state === 'verifying');
  return [
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`,
    `${(fraction * 100).toFixed(0).padStart(3)}%`,
    `${formatBytes(p.bytes)}/${formatBytes(p.total)}`,
    `${formatBytes(p.bytesPerSecond)}/s`,
    `ETA ${formatEta(p.etaSeconds)}`,
    `files ${p.filesDone}/${p.filesTotal}`,
    active ? active.path : '',
  ].join('  ');
}

function collect(values: Record<string, unknown>, name: string): string[] | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).map(String);
}

export const pullCommand: CliCommand = {
  name: 'pull',
  summary: 'Download files of a Hub repo into the HF cache (resumable, verified, shared with Python).',
  usage: USAGE,
  options: {
    revision: { type: 'string' },
    include: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    'repo-type': { type: 'string' },
    parallel: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    if (positionals.length !== 1) throw new WorkbenchError('BAD_ARGUMENT', positionals.length === 0 ? 'pull needs a repo id or Hub URL.' : `pull takes one repo, got ${positionals.length}: ${positionals.join(' ')}.`, `Usage: ${USAGE}`);
    const repoTypeArg = values['repo-type'];
    if (repoTypeArg !== undefined && !HubRepoTypes.includes(repoTypeArg as HubRepoType)) {
      throw new WorkbenchError('BAD_ARGUMENT', `--repo-type "${String(repoTypeArg)}" is not one of ${HubRepoTypes.join(', ')}.`, `Usage: ${USAGE}`);
    }
    const parallel = values.parallel === undefined ? undefined : Number(values.parallel);
    if (parallel !== undefined && !(Number.isInteger(parallel) && parallel >= 1 && parallel <= 16)) {
      throw new WorkbenchError('BAD_ARGUMENT', `--parallel "${String(values.parallel)}" must be a whole number from 1 to 16.`, `Usage: ${USAGE}`);
    }
    const ref = parseRepoRef(positionals[0], repoTypeArg as HubRepoType | undefined);
    const parsed = hubDownloadJob.params.safeParse({
      repoId: ref.repoId,
      repoType: ref.repoType,
      revision: (values.revision as string | undefined) ?? ref.revision ?? 'main',
      include: collect(values, 'include'),
      exclude: collect(values, 'exclude'),
      ...(parallel ? { parallelFiles: parallel } : {}),
      // Ctrl-C cancels but keeps partial files: running the same pull again continues them.
      keepPartialOnCancel: true,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new WorkbenchError('BAD_ARGUMENT', `${issue?.path.join('.') || 'arguments'}: ${issue?.message}`, `Usage: ${USAGE}`);
    }
    const params = parsed.data;
    const render = progressRenderer(ctx);
    const final = await runJobInForeground(ctx, HUB_DOWNLOAD_JOB_KIND, params, (j) => render.update(j));
    render.finish(final.state === 'completed' ? (final.result as HubDownloadResult) : null);
    if (final.state !== 'completed') {
      if (final.error) throw new WorkbenchError(final.error.code, final.error.message, final.error.hint);
      ctx.stderr(`Pull ${final.state}. Partial files are kept: run the same command again to continue.`);
      return 130;
    }
    const result = final.result as HubDownloadResult;
    if (values.json) ctx.stdout(JSON.stringify(result, null, 2));
    else {
      const fetched = result.files.filter((f) => f.downloaded).length;
      ctx.stdout(`${result.repoId}@${result.revision} (commit ${result.commitSha}): ${result.files.length} file(s), ${fetched} downloaded (${formatBytes(result.downloadedBytes)}), ${result.files.length - fetched} already cached.`);
      ctx.stdout(result.snapshotDir);
    }
    return 0;
  },
};

interface Renderer {
  update(job: JobView): void;
  finish(result: HubDownloadResult | null): void;
}

function progressRenderer(ctx: CliContext): Renderer {
  const tty = Boolean(process.stderr.isTTY);
  let drawn = false;
  const announced = new Set<string>();
  const announce = (file: string, downloaded: boolean, size: number) => {
    if (announced.has(file)) return;
    announced.add(file);
    ctx.stderr(`${downloaded ? 'downloaded' : 'cached    '}  ${file}  (${formatBytes(size)})`);
  };
  return {
    update(job) {
      const p = hubDownloadProgressOf(job);
      if (!p) return;
      if (tty) {
        const cols = process.stderr.columns || 100;
        process.stderr.write(`\r${progressLine(p).slice(0, cols - 1).padEnd(cols - 1)}`);
        drawn = true;
        return;
      }
      // Not a terminal (logs, CI): one line per finished file instead of a redrawn bar.
      for (const f of p.files) if (f.state === 'done' || f.state === 'cached') announce(f.path, f.state === 'done', f.total);
    },
    finish(result) {
      if (drawn) process.stderr.write('\n');
      // Progress is sampled, so files that finished between samples are listed from the result.
      if (!tty && result) for (const f of result.files) announce(f.path, f.downloaded, f.size);
    },
  };
}

