import type { HubFileEntry, HubFileList, HubRepoType, HubRevisionInfo } from '../../preload/contract/hub';
import { WorkbenchError } from '../errors';
import { pathFilter } from './globFilter';
import { etagOf, HubClient, type RemoteFile, type RepoTarget } from './hubClient';
import type { HubConfig } from './hubConfig';
import { RepoCache } from './repoCache';
import { validateRevision } from './repoRef';

export interface RepoQuery extends RepoTarget {
  revision: string;
  include?: string[];
  exclude?: string[];
  /** Exact paths wanted (applied after the globs). */
  files?: string[];
}

/** The hub as one job or request sees it: settings, token, client and cache. */
export interface HubSession {
  config: HubConfig;
  client: HubClient;
}

/** Every client the app opens comes from here, so the token goes only where config.tokenDelivery allows. */
export function openHubSession(config: HubConfig, token: string | null, retryDelayMs?: number): HubSession {
  const withheld = token !== null && config.tokenDelivery === 'withheld';
  return {
    config,
    client: new HubClient({ endpoint: config.endpoint, token: withheld ? null : token, tokenWithheld: withheld, offline: config.offline, ...(retryDelayMs !== undefined ? { retryDelayMs } : {}) }),
  };
}

export function repoCacheOf(session: HubSession, target: RepoTarget): RepoCache {
  return new RepoCache(session.config.cacheDir, target.repoId, target.repoType);
}

function notCached(q: RepoQuery, what: string): WorkbenchError {
  return new WorkbenchError(
    'HUB_OFFLINE_NOT_CACHED',
    `Offline mode is on and ${what} of ${q.repoType} ${q.repoId} ${what.includes(',') ? 'are' : 'is'} not in the HF cache.`,
    'Turn offline mode off in Settings (and unset HF_HUB_OFFLINE) to download it, or pick something already cached.',
  );
}

/** Resolve the commit: from the Hub online, from refs/ or snapshots/ offline (never a connection). */
export async function resolveCommit(session: HubSession, q: RepoTarget & { revision: string }): Promise<HubRevisionInfo> {
  validateRevision(q.revision);
  const base = { repoId: q.repoId, repoType: q.repoType as HubRepoType, revision: q.revision };
  if (session.config.offline) {
    const commit = repoCacheOf(session, q).commitFromCache(q.revision);
    if (!commit) throw notCached({ ...q }, `revision "${q.revision}"`);
    return { ...base, commitSha: commit, fromCache: true };
  }
  const commitSha = await session.client.resolveRevision(q, q.revision);
  return { ...base, commitSha, fromCache: false };
}

/** The files of a repo at a revision after filtering, each with whether the cache already has it. */
export async function listRepoFiles(session: HubSession, q: RepoQuery): Promise<HubFileList & { remote: RemoteFile[] }> {
  const info = await resolveCommit(session, q);
  const cache = repoCacheOf(session, q);
  let remote: RemoteFile[];
  if (info.fromCache) {
    remote = cache.listSnapshot(info.commitSha).map((f) => ({
      path: f.path,
      size: f.size,
      // Offline the listing comes from the snapshot: the blob name is the etag; a git oid of an LFS pointer is unknown.
      gitOid: f.etag && f.etag.length === 40 ? f.etag : '',
      ...(f.etag && f.etag.length === 64 ? { lfs: { sha256: f.etag, size: f.size } } : {}),
    }));
  } else if (q.files && q.files.length > 0 && !q.include && !q.exclude) {
    remote = await session.client.pathsInfo(q, info.commitSha, [...new Set(q.files)]);
  } else {
    remote = await session.client.listFiles(q, info.commitSha);
  }
  const keep = pathFilter(q.include, q.exclude);
  let files = remote.filter((f) => keep(f.path));
  if (q.files && q.files.length > 0) {
    const wanted = new Set(q.files);
    files = files.filter((f) => wanted.has(f.path));
    const missing = [...wanted].filter((p) => !files.some((f) => f.path === p));
    if (missing.length > 0) {
      const names = missing.map((m) => `"${m}"`).join(', ');
      if (info.fromCache) throw notCached(q, `file ${names}`);
      throw new WorkbenchError('HUB_ENTRY_NOT_FOUND', `${q.repoId} has no file ${names} at ${q.revision} (or the include/exclude globs removed it).`, 'Check the paths and globs; list the repo files to see what exists.');
    }
  }
  const entries: HubFileEntry[] = files.map((f) => ({
    path: f.path,
    size: f.size,
    gitOid: f.gitOid,
    ...(f.lfs ? { lfs: f.lfs } : {}),
    cached: info.fromCache || isCached(cache, info.commitSha, f),
  }));
  return {
    ...info,
    files: entries,
    totalBytes: entries.reduce((s, f) => s + f.size, 0),
    missingBytes: entries.filter((f) => !f.cached).reduce((s, f) => s + f.size, 0),
    remote: files,
  };
}

export function isCached(cache: RepoCache, commit: string, f: RemoteFile): boolean {
  return cache.isLinked(commit, f.path, etagOf(f), f.size);
}

