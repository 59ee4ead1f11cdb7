import { z } from 'zod';
import { method } from './define';
import type { JobView } from './jobs';

/**
 * Hugging Face Hub: resolve a repo at a revision to its commit, list its files (with glob
 * filtering), queue downloads into the shared HF cache, and the hub settings (endpoint, offline
 * switch, parallelism, token). Downloads run as `hub.download` jobs.
 */

export const HubRepoTypes = ['model', 'dataset'] as const;
export type HubRepoType = (typeof HubRepoTypes)[number];

/** The job kind that downloads files; its progress message is a HubDownloadProgress (JSON). */
export const HUB_DOWNLOAD_JOB_KIND = 'hub.download';

export interface HubRevisionInfo {
  /** Canonical repo id, e.g. "EleutherAI/pythia-70m" or "gpt2". */
  repoId: string;
  repoType: HubRepoType;
  /** The revision as asked for (branch, tag or commit sha); "main" when none was given. */
  revision: string;
  /** The 40-hex commit sha the revision points at. */
  commitSha: string;
  /** True when answered from the local cache (offline mode), without the network. */
  fromCache: boolean;
}

export interface HubFileEntry {
  /** Path inside the repo, "/"-separated, e.g. "blocks.0.hook_resid_post/cfg.json". */
  path: string;
  size: number;
  /** The git blob sha1 of the file (for LFS files: of the pointer). */
  gitOid: string;
  /** Present for LFS files: the sha256 of the content, which is also its blob name in the cache. */
  lfs?: { sha256: string; size: number };
  /** Whether the file is already complete in the local cache at this commit. */
  cached: boolean;
}

export interface HubFileList extends HubRevisionInfo {
  /** Files after include/exclude filtering, sorted by path. */
  files: HubFileEntry[];
  totalBytes: number;
  /** Bytes of `files` not yet in the cache. */
  missingBytes: number;
}

export interface HubSettings {
  /** The endpoint in use (HF_ENDPOINT wins over the stored setting; default https://huggingface.co). */
  endpoint: string;
  endpointSource: 'env' | 'settings' | 'default';
  /** Offline: never open a connection; only cached files are usable. HF_HUB_OFFLINE=1 forces it on. */
  offline: boolean;
  offlineSource: 'env' | 'settings' | 'default';
  /** Files downloaded in parallel by one download job. */
  parallelFiles: number;
  /** The HF hub cache directory (HF_HUB_CACHE > HF_HOME/hub > ~/.cache/huggingface/hub). */
  cacheDir: string;
  /** Where the token comes from; the token itself never crosses the contract. */
  tokenSource: 'env' | 'stored' | null;
  /** Whether requests to the endpoint carry the token, and why: see HubTokenDelivery. */
  tokenDelivery: HubTokenDelivery;
}

/**
 * When the token is sent to the endpoint: 'https' (encrypted), 'env' (an http endpoint from
 * HF_ENDPOINT, the user's own launch setting), 'confirmed' (an http endpoint saved in Settings with
 * the user's confirmation for exactly that URL); 'withheld': an unconfirmed http endpoint gets no
 * token, so public repos work and gated ones answer "restricted".
 */
export type HubTokenDelivery = 'https' | 'env' | 'confirmed' | 'withheld';

/** Per-file state inside a download job. */
export type HubFileDownloadState = 'queued' | 'downloading' | 'verifying' | 'done' | 'cached' | 'failed';

export interface HubFileProgress {
  path: string;
  bytes: number;
  total: number;
  /** Smoothed rate over the last seconds; 0 when idle. */
  bytesPerSecond: number;
  state: HubFileDownloadState;
}

/** What a `hub.download` job reports as JobView.progressDetail. */
export interface HubDownloadProgress {
  type: 'hub.download';
  repoId: string;
  commitSha: string;
  bytes: number;
  total: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  filesDone: number;
  filesTotal: number;
  /** Active and failed files first, then some queued and recently finished ones (capped for big repos). */
  files: HubFileProgress[];
}

/** The `result` of a completed `hub.download` job. */
export interface HubDownloadResult {
  repoId: string;
  repoType: HubRepoType;
  revision: string;
  commitSha: string;
  /** <cache>/<models--owner--name>/snapshots/<commitSha> */
  snapshotDir: string;
  files: { path: string; size: number; blob: string; downloaded: boolean }[];
  downloadedBytes: number;
}

/** A download job's per-file progress; null before it has any (e.g. while resolving the revision). */
export function hubDownloadProgressOf(job: { progressDetail: unknown }): HubDownloadProgress | null {
  const d = job.progressDetail as { type?: unknown } | null;
  return d && d.type === 'hub.download' ? (d as HubDownloadProgress) : null;
}

/** A repo id ("owner/name" or "name") or a Hub URL (https://huggingface.co/datasets/owner/name/tree/rev). */
const RepoRef = z.string().trim().min(1).max(512);
const Glob = z.string().min(1).max(512);
const RepoQuery = {
  repo: RepoRef,
  /** Defaults to what the URL says, else "model". */
  repoType: z.enum(HubRepoTypes).optional(),
  /** Branch, tag or commit sha; defaults to what the URL says, else "main". */
  revision: z.string().min(1).max(256).optional(),
};
const Filters = {
  /** fnmatch globs like huggingface_hub's allow_patterns: "*" crosses "/", "dir/" means all under dir. */
  include: z.array(Glob).max(256).optional(),
  /** Like ignore_patterns; applied after include. */
  exclude: z.array(Glob).max(256).optional(),
};

export const hubContract = {
  'hub.resolve': method<HubRevisionInfo>()(z.object(RepoQuery).strict()),
  'hub.listFiles': method<HubFileList>()(z.object({ ...RepoQuery, ...Filters }).strict()),
  /** Queue a `hub.download` job; returns the job (watch it with job.updated events). */
  'hub.download': method<JobView>()(
    z
      .object({
        ...RepoQuery,
        ...Filters,
        /** Exact repo paths to download (after filters); omit for all files that pass the filters. */
        files: z.array(z.string().min(1).max(1024)).max(100_000).optional(),
        /** Defaults to the hub setting parallelFiles. */
        parallelFiles: z.number().int().min(1).max(16).optional(),
        /** On cancel, keep .incomplete files so a later download continues them (default false). */
        keepPartialOnCancel: z.boolean().optional(),
        priority: z.number().int().min(-100).max(100).optional(),
      })
      .strict(),
  ),
  /** Read the hub settings; pass fields to change them. endpoint null: back to the default. */
  'hub.settings': method<HubSettings>()(
    z
      .object({
        endpoint: z.string().url().max(512).nullable().optional(),
        offline: z.boolean().optional(),
        parallelFiles: z.number().int().min(1).max(16).optional(),
        /**
         * The user's confirmation, from the Settings page, that the token may be sent in clear to this
         * http endpoint: it must name the endpoint saved (after this call's change), exactly. Changing
         * the endpoint without it withdraws an earlier confirmation; null withdraws it.
         */
        tokenEndpointConfirmed: z.string().url().max(512).nullable().optional(),
      })
      .strict(),
  ),
  /** Store (or with null, forget) the access token, kept outside the database, never logged. */
  'hub.setToken': method<HubSettings>()(z.object({ token: z.string().trim().min(1).max(1024).nullable() }).strict()),
};

export interface HubEvents {
  /** Files of a repo landed in (or were removed from) the cache, so the Library can rescan. */
  'hub.cacheChanged': { repoId: string; repoType: HubRepoType; commitSha: string };
}
