import fs from 'node:fs';
import { z } from 'zod';
import { HUB_DOWNLOAD_JOB_KIND, HubRepoTypes, type HubDownloadProgress, type HubDownloadResult, type HubFileProgress } from '../../preload/contract/hub';
import { WorkbenchError } from '../errors';
import { defineJobKind, JobStopped, type JobContext } from '../jobs/kind';
import { validateRepoId, validateRevision } from './repoRef';
import type { RemoteFile } from './hubClient';

const Glob = z.string().min(1).max(512);

export const hubDownloadParams = z
  .object({
    repoId: z.string().min(1).max(200).describe('The Hub repo, e.g. "jbloom/GPT2-Small-SAEs-Reformatted".'),
    repoType: z.enum(HubRepoTypes).default('model').describe('Whether the repo is a model repo (models, SAEs) or a dataset repo.'),
    revision: z.string().min(1).max(256).default('main').describe('Branch, tag or commit sha to download.'),
    include: z.array(Glob).max(256).optional().describe('Only files matching these globs (huggingface_hub allow_patterns), e.g. "blocks.8.*/*".'),
    exclude: z.array(Glob).max(256).optional().describe('Skip files matching these globs (ignore_patterns).'),
    files: z.array(z.string().min(1).max(1024)).max(100_000).optional().describe('Exact file paths in the repo to download, instead of globs.'),
    parallelFiles: z.number().int().min(1).max(16).optional().describe('Files downloaded at once (default: the Settings value).'),
    keepPartialOnCancel: z.boolean().default(false).describe('Keep partly downloaded files when cancelled, so a new download continues them.'),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const [field, check] of [['repoId', () => validateRepoId(p.repoId)], ['revision', () => validateRevision(p.revision)]] as const) {
      try {
        check();
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: [field], message: (err as Error).message });
      }
    }
  });
export type HubDownloadParams = z.output<typeof hubDownloadParams>;

/** Saved after planning and after every finished file: a resumed job targets the same commit and files. */
export interface HubDownloadCheckpoint {
  commit: string;
  files: RemoteFile[];
  done: string[];
}

const PROGRESS_INTERVAL_MS = 250;
const MAX_FILES_IN_PROGRESS = 40;

/**
 * Downloads files of a Hub repo into the shared HF cache. Runs in a worker; heavy imports stay
 * inside run() so the core only loads the metadata.
 */
export const hubDownloadJob = defineJobKind({
  kind: HUB_DOWNLOAD_JOB_KIND,
  description: 'Download files of a Hugging Face Hub repo into the HF cache (resumable, verified).',
  params: hubDownloadParams,
  title: (p) => `Download ${p.repoType === 'dataset' ? 'dataset ' : ''}${p.repoId}${p.revision !== 'main' ? `@${p.revision.length === 40 ? p.revision.slice(0, 10) : p.revision}` : ''}`,
  resource: 'cpu',
  pausable: true,
  // A killed worker is re-queued and continues from the .incomplete files.
  maxAttempts: 3,
  run: (ctx, p) => runDownload(ctx, p),
});

async function runDownload(ctx: JobContext, p: HubDownloadParams): Promise<HubDownloadResult> {
  const [{ downloadBlob }, { hubConfigFromHome }, { listRepoFiles, openHubSession, repoCacheOf, isCached }, { readHubToken }, { etagOf }, { RateMeter }] = await Promise.all([
    import('./blobDownloader'),
    import('./hubHome'),
    import('./repoFiles'),
    import('./token'),
    import('./hubClient'),
    import('./rateMeter'),
  ]);
  const config = hubConfigFromHome(ctx.home);
  const retryMs = Number(process.env.SAE_WORKBENCH_HUB_RETRY_MS);
  const session = openHubSession(config, readHubToken(ctx.home).token, Number.isFinite(retryMs) && retryMs >= 0 ? retryMs : undefined);
  const target = { repoId: p.repoId, repoType: p.repoType };
  const cache = repoCacheOf(session, target);

  let plan = ctx.checkpoint as HubDownloadCheckpoint | null;
  if (plan) {
    ctx.log('info', `Continuing the download of ${p.repoId} at commit ${plan.commit}: ${plan.done.length} of ${plan.files.length} files were done.`);
  } else {
    ctx.progress(null, `Resolving ${p.repoId}@${p.revision}`);
    const listed = await listRepoFiles(session, { ...target, revision: p.revision, include: p.include, exclude: p.exclude, files: p.files });
    if (listed.remote.length === 0 && listed.fromCache) {
      throw new WorkbenchError(
        'HUB_OFFLINE_NOT_CACHED',
        `Offline mode is on and no cached file of ${p.repoId}@${p.revision} matches include ${JSON.stringify(p.include ?? ['*'])} / exclude ${JSON.stringify(p.exclude ?? [])}.`,
        'Offline, only files already in the HF cache can be used: turn offline mode off in Settings (and unset HF_HUB_OFFLINE) to download them.',
      );
    }
    if (listed.remote.length === 0) {
      throw new WorkbenchError(
        'HUB_NOTHING_MATCHED',
        `No file of ${p.repoId}@${p.revision} matches include ${JSON.stringify(p.include ?? ['*'])} / exclude ${JSON.stringify(p.exclude ?? [])}.`,
        'Loosen the globs: "*" crosses "/", and "folder/" means everything under folder.',
      );
    }
    if (!listed.fromCache) cache.writeRef(p.revision, listed.commitSha);
    plan = { commit: listed.commitSha, files: listed.remote, done: [] };
    ctx.log('info', `${p.repoId}@${p.revision} is commit ${plan.commit}${listed.fromCache ? ' (from the cache, offline)' : ''}: ${plan.files.length} files, ${listed.totalBytes} bytes, ${listed.missingBytes} bytes to download.`);
    await ctx.saveCheckpoint(plan);
  }
  const { commit, files } = plan;
  const done = new Set(plan.done);
  const total = files.reduce((s, f) => s + f.size, 0);

  const state = new Map<string, HubFileProgress & { meter: InstanceType<typeof RateMeter>; downloaded: number }>();
  for (const f of files) {
    // The cache, not the checkpoint, decides: a file done earlier may have been deleted since.
    const cached = isCached(cache, commit, f);
    if (cached) done.add(f.path);
    else done.delete(f.path);
    state.set(f.path, { path: f.path, bytes: cached ? f.size : 0, total: f.size, bytesPerSecond: 0, state: cached ? 'cached' : 'queued', meter: new RateMeter(), downloaded: 0 });
  }

  const pending = files.filter((f) => !done.has(f.path));
  if (config.offline && pending.length > 0) {
    throw new WorkbenchError(
      'HUB_OFFLINE_NOT_CACHED',
      `Offline mode is on and ${pending.length} file(s) of ${p.repoId} are not in the HF cache: ${pending.slice(0, 5).map((f) => `"${f.path}"`).join(', ')}${pending.length > 5 ? ', …' : ''}.`,
      'Turn offline mode off in Settings (and unset HF_HUB_OFFLINE) to download them.',
    );
  }

  // Identical content under several paths is one blob: download it once, link every path.
  const groups = new Map<string, RemoteFile[]>();
  for (const f of pending) groups.set(etagOf(f), [...(groups.get(etagOf(f)) ?? []), f]);
  const queue = [...groups.values()];
  const overall = new RateMeter();
  const report = () => {
    const view = progressView();
    ctx.progress(total > 0 ? bytesDone() / total : 1, `${view.filesDone} of ${view.filesTotal} files`, view);
  };
  const bytesDone = () => [...state.values()].reduce((s, f) => s + f.bytes, 0);
  const progressView = (): HubDownloadProgress => {
    const now = Date.now();
    const bytes = bytesDone();
    overall.record([...state.values()].reduce((s, f) => s + f.downloaded, 0), now);
    const rate = overall.rate(now);
    const all = [...state.values()].map(({ meter, downloaded: _d, ...f }) => ({ ...f, bytesPerSecond: f.state === 'downloading' ? Math.round(meter.rate(now)) : 0 }));
    const order = { downloading: 0, verifying: 0, failed: 1, queued: 2, done: 3, cached: 4 } as const;
    return {
      type: 'hub.download',
      repoId: p.repoId,
      commitSha: commit,
      bytes,
      total,
      bytesPerSecond: Math.round(rate),
      etaSeconds: rate > 0 ? Math.round((total - bytes) / rate) : null,
      filesDone: done.size,
      filesTotal: files.length,
      files: all.sort((a, b) => order[a.state] - order[b.state]).slice(0, MAX_FILES_IN_PROGRESS),
    };
  };
  const ticker = setInterval(report, PROGRESS_INTERVAL_MS);
  report();

  // Checkpoints are written one at a time, each with the set of files done so far.
  let saving = Promise.resolve();
  const saveProgress = () => (saving = saving.then(() => ctx.saveCheckpoint({ commit, files, done: [...done] } satisfies HubDownloadCheckpoint)));

  const failures: { path: string; error: unknown }[] = [];
  const worker = async () => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      if (ctx.signal.aborted) return;
      const [first, ...same] = group;
      const s = state.get(first.path)!;
      s.state = 'downloading';
      let started = false;
      try {
        const r = await downloadBlob({
          client: session.client,
          cache,
          target,
          commit,
          file: first,
          signal: ctx.signal,
          log: (m) => ctx.log('warn', m),
          onProgress: (bytes, phase) => {
            // The first report is where this attempt starts (a resumed partial file), not new bytes.
            if (started) s.downloaded += Math.max(0, bytes - s.bytes);
            started = true;
            s.bytes = bytes;
            s.state = phase;
            s.meter.record(s.downloaded);
          },
        });
        if (r.resumedFrom > 0 && r.resumedFrom < first.size) ctx.log('info', `"${first.path}": continued from byte ${r.resumedFrom} of ${first.size} (HTTP Range).`);
        for (const f of group) {
          if (f !== first) cache.link(commit, f.path, etagOf(f));
          const entry = state.get(f.path)!;
          entry.bytes = f.size;
          entry.state = 'done';
          done.add(f.path);
        }
        ctx.log('info', `"${first.path}" verified (${first.lfs ? 'sha256' : 'git sha1'}) and linked${same.length ? ` (also as ${same.map((f) => `"${f.path}"`).join(', ')})` : ''}.`);
        await saveProgress();
      } catch (err) {
        if (ctx.signal.aborted) return;
        s.state = 'failed';
        failures.push({ path: first.path, error: err });
        ctx.log('error', `"${first.path}": ${(err as Error).message}`);
      }
    }
  };
  const parallel = Math.max(1, p.parallelFiles ?? config.parallelFiles);
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, worker));
    await saving;
  } finally {
    clearInterval(ticker);
  }
  report();

  const stop = ctx.stopReason();
  if (stop) {
    if (stop === 'cancel' && !p.keepPartialOnCancel) {
      removePartials(cache, files.filter((f) => !done.has(f.path)).map(etagOf));
      ctx.log('info', 'Cancelled: partial downloads were removed.');
    } else {
      ctx.log('info', stop === 'cancel' ? 'Cancelled: partial downloads were kept; a new download of the same files continues them.' : 'Paused: partial downloads are kept and continue with HTTP Range on resume.');
    }
    throw new JobStopped(stop);
  }
  if (failures.length > 0) {
    const first = failures[0].error;
    if (failures.length === 1 && first instanceof WorkbenchError) throw first;
    throw new WorkbenchError(
      first instanceof WorkbenchError ? first.code : 'HUB_DOWNLOAD_FAILED',
      `${failures.length} of ${files.length} files of ${p.repoId} failed: ${failures.map((f) => `"${f.path}" (${(f.error as Error).message})`).join('; ')}`,
      first instanceof WorkbenchError && first.hint ? first.hint : 'Retry the job: finished files are kept and partial files continue.',
    );
  }
  return {
    repoId: p.repoId,
    repoType: p.repoType,
    revision: p.revision,
    commitSha: commit,
    snapshotDir: cache.snapshotDir(commit),
    files: files.map((f) => ({ path: f.path, size: f.size, blob: cache.blobPath(etagOf(f)), downloaded: state.get(f.path)!.state === 'done' })),
    downloadedBytes: [...state.values()].reduce((s, f) => s + f.downloaded, 0),
  };
}

export function removePartials(cache: { incompletePath(etag: string): string }, etags: string[]): void {
  for (const etag of new Set(etags)) fs.rmSync(cache.incompletePath(etag), { force: true });
}
