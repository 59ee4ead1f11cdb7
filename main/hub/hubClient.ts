import { listFiles, pathsInfo } from '@huggingface/hub';
import type { HubRepoType } from '../../preload/contract/hub';
import { WorkbenchError } from '../errors';
import { safeRepoPathSegments } from './repoCache';
import { isCommitSha } from './repoRef';

/** One file of a repo at a commit, as the Hub lists it. */
export interface RemoteFile {
  path: string;
  size: number;
  gitOid: string;
  lfs?: { sha256: string; size: number };
}

export interface HubClientOptions {
  endpoint: string;
  token: string | null;
  /** A token exists but is not sent to this endpoint (http, unconfirmed): the errors say so. */
  tokenWithheld?: boolean;
  offline: boolean;
  /** Attempts for metadata requests on 5xx / 429 / network errors. */
  retries?: number;
  retryDelayMs?: number;
}

export interface RepoTarget {
  repoId: string;
  repoType: HubRepoType;
}

const RETRYABLE = new Set(['HUB_SERVER_ERROR', 'HUB_UNREACHABLE']);

export function isRetryable(err: unknown): boolean {
  return err instanceof WorkbenchError && RETRYABLE.has(err.code);
}

/**
 * Talks to the Hub (or a mirror: every URL starts at the configured endpoint). In offline mode
 * it refuses before any socket is opened. HTTP failures become WorkbenchErrors using the Hub's
 * X-Error-Code header, so "gated", "no such repo", "no such revision" and "no such file" differ.
 */
export class HubClient {
  readonly endpoint: string;

  constructor(private readonly options: HubClientOptions) {
    this.endpoint = options.endpoint;
  }

  private guardOffline(what: string): void {
    if (this.options.offline) {
      throw new WorkbenchError('HUB_OFFLINE', `Offline mode is on, so ${what} cannot be fetched from ${this.endpoint}.`, 'Turn offline mode off in Settings (and unset HF_HUB_OFFLINE), or use files already in the cache.');
    }
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'user-agent': 'sae-workbench', ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}), ...extra };
  }

  /** fetch with the offline guard, auth, and the Hub's errors mapped; `subject` names what failed. */
  async fetch(url: string, init: RequestInit, target: RepoTarget, subject: string, withAuth = true, purpose: 'metadata' | 'download' = 'metadata'): Promise<Response> {
    this.guardOffline(subject);
    let res: Response;
    try {
      // Headers, not an object spread: "Authorization" from @huggingface/hub and ours must not both be sent.
      const headers = new Headers(init.headers);
      for (const [k, v] of Object.entries(this.headers())) if (!headers.has(k) && (withAuth || k !== 'authorization')) headers.set(k, v);
      res = await fetch(url, { ...init, headers });
    } catch (err) {
      if ((err as Error).name === 'AbortError' || init.signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      // Listing or resolving starts no download: the useful advice then is the offline switch.
      const hint =
        purpose === 'download'
          ? 'Check your network or HF_ENDPOINT; the download resumes where it stopped when you retry.'
          : `Working without network? Turn on offline mode in Settings (or set HF_HUB_OFFLINE=1) to use what the HF cache already holds. Otherwise check your network, proxy or HF_ENDPOINT (${this.endpoint}).`;
      throw new WorkbenchError('HUB_UNREACHABLE', `Cannot reach ${this.endpoint} for ${subject} (${cause?.code ?? cause?.message ?? (err as Error).message}).`, hint, { cause: err });
    }
    const redirect = init.redirect === 'manual' && res.status >= 300 && res.status < 400;
    if (!res.ok && !redirect) throw await this.httpError(res, target, subject);
    return res;
  }

  private async httpError(res: Response, target: RepoTarget, subject: string): Promise<WorkbenchError> {
    const code = res.headers.get('x-error-code');
    const serverMessage = (res.headers.get('x-error-message') ?? '').replace(/\.+$/, '');
    await res.body?.cancel().catch(() => {});
    const repo = `${target.repoType} ${target.repoId}`;
    const tokenHint = this.options.token
      ? 'Your token was sent: check that it has read access and that you accepted the repo\'s conditions on its Hub page.'
      : this.options.tokenWithheld
        ? `Your token was not sent: ${this.endpoint} is plain http and was not confirmed in Settings. Use an https endpoint, or save this one in Settings with "send my token to it" ticked.`
        : 'Set an access token in Settings (or HF_TOKEN) and accept the repo\'s conditions on its Hub page.';
    if (code === 'GatedRepo' || (res.status === 403 && code !== 'RepoNotFound')) {
      return new WorkbenchError('HUB_GATED', `Access to ${repo} is restricted (gated or private): ${serverMessage || `HTTP ${res.status}`}.`, tokenHint);
    }
    if (code === 'RepoNotFound' || (res.status === 401 && !code)) {
      return new WorkbenchError('HUB_REPO_NOT_FOUND', `The ${repo} does not exist on ${this.endpoint}, or it is private.`, `Check the repo id and type (model or dataset). ${tokenHint}`);
    }
    if (code === 'RevisionNotFound') {
      return new WorkbenchError('HUB_REVISION_NOT_FOUND', `The ${repo} has no revision named in ${subject}.`, 'Check the branch, tag or commit sha (default: main).');
    }
    if (code === 'EntryNotFound' || res.status === 404) {
      return new WorkbenchError('HUB_ENTRY_NOT_FOUND', `${subject} was not found in ${repo} (HTTP ${res.status}${code ? ` ${code}` : ''}).`, 'Check the file path and revision; list the repo files to see what exists.');
    }
    if (res.status >= 500 || res.status === 429) {
      return new WorkbenchError('HUB_SERVER_ERROR', `${this.endpoint} answered HTTP ${res.status} for ${subject}.`, 'The Hub may be busy; retry in a minute (downloads continue where they stopped).');
    }
    return new WorkbenchError('HUB_HTTP_ERROR', `${this.endpoint} answered HTTP ${res.status} for ${subject}${serverMessage ? `: ${serverMessage}` : ''}.`, 'Check the repo id, revision and endpoint.');
  }

  private async withRetries<T>(work: () => Promise<T>): Promise<T> {
    const attempts = this.options.retries ?? 4;
    for (let i = 1; ; i++) {
      try {
        return await work();
      } catch (err) {
        if (i >= attempts || !isRetryable(err)) throw err;
        await new Promise((r) => setTimeout(r, (this.options.retryDelayMs ?? 250) * 2 ** (i - 1)));
      }
    }
  }

  private apiBase(target: RepoTarget): string {
    return `${this.endpoint}/api/${target.repoType}s/${target.repoId}`;
  }

  /** The commit sha a branch, tag or sha points at (GET /api/{type}s/{repo}/revision/{rev}). */
  async resolveRevision(target: RepoTarget, revision: string): Promise<string> {
    const subject = `revision "${revision}" of ${target.repoId}`;
    return this.withRetries(async () => {
      const res = await this.fetch(`${this.apiBase(target)}/revision/${encodeURIComponent(revision)}`, { headers: { accept: 'application/json' } }, target, subject);
      const body = (await res.json()) as { sha?: unknown };
      if (typeof body.sha !== 'string' || !isCommitSha(body.sha)) {
        throw new WorkbenchError('HUB_BAD_RESPONSE', `${this.endpoint} answered ${subject} without a commit sha.`, 'The endpoint may not be a Hugging Face Hub; check HF_ENDPOINT.');
      }
      return body.sha;
    });
  }

  /** All files of the repo at a commit (tree listing, recursive, paginated by @huggingface/hub). */
  async listFiles(target: RepoTarget, commit: string): Promise<RemoteFile[]> {
    return this.withRetries(async () => {
      const out: RemoteFile[] = [];
      const entries = listFiles({
        repo: { type: target.repoType, name: target.repoId },
        revision: commit,
        recursive: true,
        hubUrl: this.endpoint,
        fetch: this.libraryFetch(target, `the file list of ${target.repoId}`),
        ...(this.options.token ? { accessToken: this.options.token } : {}),
      });
      for await (const e of entries) {
        if (e.type !== 'file') continue;
        out.push(toRemoteFile(e, target.repoId));
      }
      return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    });
  }

  /** Metadata of exact paths (POST paths-info); a path that is not a file of the repo is an error naming it. */
  async pathsInfo(target: RepoTarget, commit: string, paths: string[]): Promise<RemoteFile[]> {
    paths.forEach((p) => safeRepoPathSegments(p, target.repoId));
    const entries = await this.withRetries(() =>
      pathsInfo({
        repo: { type: target.repoType, name: target.repoId },
        revision: commit,
        paths,
        hubUrl: this.endpoint,
        fetch: this.libraryFetch(target, `file info in ${target.repoId}`),
        ...(this.options.token ? { accessToken: this.options.token } : {}),
      }),
    );
    const files = entries.filter((e) => e.type === 'file').map((e) => toRemoteFile({ ...e, oid: e.oid, lfs: e.lfs }, target.repoId));
    const missing = paths.filter((p) => !files.some((f) => f.path === p));
    if (missing.length > 0) {
      throw new WorkbenchError('HUB_ENTRY_NOT_FOUND', `${target.repoId} has no file ${missing.map((m) => `"${m}"`).join(', ')} at commit ${commit.slice(0, 10)}.`, 'Check the paths; list the repo files to see what exists.');
    }
    return files;
  }

  /**
   * GET the file content from `start` (Range). Redirects are followed by hand, as huggingface_hub
   * does, so the Hub's own answer (X-Repo-Commit, X-Linked-Etag / ETag) can be checked against the
   * listing, and the token is not sent on to another origin (the CDN URL is already signed).
   */
  async openFile(target: RepoTarget, commit: string, file: RemoteFile, start: number, signal: AbortSignal): Promise<Response> {
    const prefix = target.repoType === 'model' ? '' : `${target.repoType}s/`;
    const encodedPath = file.path.split('/').map(encodeURIComponent).join('/');
    let url = `${this.endpoint}/${prefix}${target.repoId}/resolve/${commit}/${encodedPath}`;
    const subject = `"${file.path}"`;
    const hubOrigin = new URL(this.endpoint).origin;
    const headers = { 'accept-encoding': 'identity', ...(start > 0 ? { range: `bytes=${start}-` } : {}) };
    for (let hop = 0; hop < 8; hop++) {
      const res = await this.fetch(url, { signal, headers, redirect: 'manual' }, target, subject, new URL(url).origin === hubOrigin, 'download');
      if (hop === 0) this.checkServedIdentity(res, target, commit, file);
      if (res.status < 300 || res.status >= 400) return res;
      await res.body?.cancel().catch(() => {});
      const location = res.headers.get('location');
      if (!location) throw new WorkbenchError('HUB_BAD_RESPONSE', `${this.endpoint} redirected ${subject} without a Location.`, 'Retry later; if it persists check HF_ENDPOINT.');
      url = new URL(location, url).href;
    }
    throw new WorkbenchError('HUB_BAD_RESPONSE', `Too many redirects while downloading ${subject} from ${this.endpoint}.`, 'Check HF_ENDPOINT and any proxy in between.');
  }

  /** The Hub says which commit and content it serves; a disagreement with the listing is an error. */
  private checkServedIdentity(res: Response, target: RepoTarget, commit: string, file: RemoteFile): void {
    const servedCommit = res.headers.get('x-repo-commit');
    if (!servedCommit) return; // not the Hub's own answer (a plain mirror or CDN): the hash check still applies
    if (servedCommit !== commit) {
      throw new WorkbenchError('HUB_BAD_RESPONSE', `${this.endpoint} served "${file.path}" of ${target.repoId} from commit ${servedCommit} instead of ${commit}.`, 'Retry; if it persists the mirror is out of date.');
    }
    const served = normalizeEtag(res.headers.get('x-linked-etag') ?? res.headers.get('etag'));
    const expected = etagOf(file);
    if (served && served !== expected) {
      throw new WorkbenchError('HUB_ETAG_MISMATCH', `${this.endpoint} serves "${file.path}" as ${served} but lists it as ${expected}.`, 'Nothing was written. Retry later; if it persists the mirror is inconsistent.');
    }
  }

  private libraryFetch(target: RepoTarget, subject: string): typeof fetch {
    return (input, init) => this.fetch(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, init ?? {}, target, subject);
  }
}

function toRemoteFile(e: { path: string; size: number; oid?: string; lfs?: { oid: string; size: number } }, repoId: string): RemoteFile {
  safeRepoPathSegments(e.path, repoId);
  if (typeof e.oid !== 'string' || !/^[0-9a-f]{40}$/.test(e.oid) || (e.lfs && !/^[0-9a-f]{64}$/.test(e.lfs.oid))) {
    throw new WorkbenchError('HUB_BAD_RESPONSE', `The file list of ${repoId} has no valid hash for "${e.path}".`, 'The endpoint may not be a Hugging Face Hub; check HF_ENDPOINT.');
  }
  return { path: e.path, size: e.lfs ? e.lfs.size : e.size, gitOid: e.oid, ...(e.lfs ? { lfs: { sha256: e.lfs.oid, size: e.lfs.size } } : {}) };
}

/** huggingface_hub's _normalize_etag: drop a weak marker and the quotes. */
export function normalizeEtag(etag: string | null): string | null {
  return etag ? etag.replace(/^W\//, '').replace(/^"|"$/g, '') : null;
}

/** The blob name in the cache: sha256 for LFS files, git blob sha1 otherwise (the Hub's ETag). */
export function etagOf(file: RemoteFile): string {
  return file.lfs ? file.lfs.sha256 : file.gitOid;
}
