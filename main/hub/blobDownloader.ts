import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { etagOf, isRetryable, type HubClient, type RemoteFile, type RepoTarget } from './hubClient';
import { withBlobLock } from './blobLock';
import type { RepoCache } from './repoCache';

/** Where downloaded bytes go; injectable so tests can simulate a full disk. */
export interface BlobWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
export type OpenBlobWriter = (file: string, append: boolean) => Promise<BlobWriter>;

export const openFileWriter: OpenBlobWriter = async (file, append) => {
  const handle = await fs.promises.open(file, append ? 'a' : 'w');
  return {
    async write(chunk) {
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
    },
    close: () => handle.close(),
  };
};

export interface DownloadBlobOptions {
  client: HubClient;
  cache: RepoCache;
  target: RepoTarget;
  commit: string;
  file: RemoteFile;
  signal: AbortSignal;
  /** Called with the absolute byte count of this file (includes bytes from an earlier attempt). */
  onProgress(bytes: number, state: 'downloading' | 'verifying'): void;
  /** Attempts in a row without new bytes before giving up (a drop after progress starts a new round). */
  maxStalledAttempts?: number;
  retryDelayMs?: number;
  openWriter?: OpenBlobWriter;
  log?(message: string): void;
}

/**
 * Download one file into blobs/<etag> the way huggingface_hub does: stream into
 * blobs/<etag>.incomplete (continuing an existing one with Range), verify size and hash
 * (sha256 for LFS, git blob sha1 otherwise), rename into place, then link the snapshot path.
 * A file that fails verification is deleted and never linked.
 */
export async function downloadBlob(o: DownloadBlobOptions): Promise<{ downloadedBytes: number; resumedFrom: number }> {
  const etag = etagOf(o.file);
  const linkExisting = () => {
    o.cache.link(o.commit, o.file.path, etag);
    o.onProgress(o.file.size, 'verifying');
    return { downloadedBytes: 0, resumedFrom: o.file.size };
  };
  if (o.cache.hasBlob(etag, o.file.size)) return linkExisting();
  return withBlobLock(
    o.cache.lockPath(etag),
    o.signal,
    () => o.log?.(`"${o.file.path}": another download of the same content is running; waiting for it.`),
    // Another process may have finished this blob while we waited for the lock.
    () => (o.cache.hasBlob(etag, o.file.size) ? Promise.resolve(linkExisting()) : fetchIntoBlob(o, etag)),
  );
}

async function fetchIntoBlob(o: DownloadBlobOptions, etag: string): Promise<{ downloadedBytes: number; resumedFrom: number }> {
  const blob = o.cache.blobPath(etag);
  const incomplete = o.cache.incompletePath(etag);
  await fs.promises.mkdir(path.dirname(blob), { recursive: true });
  const openWriter = o.openWriter ?? openFileWriter;
  const maxStalled = o.maxStalledAttempts ?? 5;
  let stalled = 0;
  let downloaded = 0;
  let resumedFrom = -1;
  let hash: Hash | null = null;
  let have = 0;

  for (;;) {
    have = sizeOf(incomplete);
    if (have > o.file.size) {
      o.log?.(`${o.file.path}: the partial file is larger than the file (${have} > ${o.file.size}); starting over.`);
      await fs.promises.rm(incomplete, { force: true });
      have = 0;
    }
    if (resumedFrom < 0) {
      resumedFrom = have;
      o.onProgress(have, 'downloading');
    }
    if (hash === null) hash = await hashPrefix(o.file, incomplete, have);
    if (have === o.file.size) break;
    o.signal.throwIfAborted();
    const before = have;
    try {
      const res = await o.client.openFile(o.target, o.commit, o.file, have, o.signal);
      if (have > 0 && res.status !== 206) {
        // The server ignored Range: take the whole body from the start.
        o.log?.(`${o.file.path}: the server ignored the Range request; downloading from the start.`);
        have = 0;
        hash = newHash(o.file);
      } else if (res.status === 206) {
        const start = Number(/bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1]);
        if (start !== have) {
          await res.body?.cancel();
          throw new WorkbenchError('HUB_BAD_RESPONSE', `${o.client.endpoint} answered a request for "${o.file.path}" from byte ${have} with content starting at byte ${start}.`, 'Retry; if it persists the mirror does not support Range correctly.');
        }
      }
      if (!res.body) throw new WorkbenchError('HUB_BAD_RESPONSE', `${o.client.endpoint} sent no content for "${o.file.path}".`, 'Retry later.');
      const writer = await openWriterOrExplain(openWriter, incomplete, have > 0, o.file.path);
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          if (have + chunk.length > o.file.size) {
            throw new WorkbenchError('HUB_SIZE_MISMATCH', `"${o.file.path}" is larger than the ${o.file.size} bytes the Hub listed.`, 'Retry; if it persists the mirror serves a different file than it lists.');
          }
          await writeOrExplain(writer, chunk, incomplete, o.file.path);
          hash.update(chunk);
          have += chunk.length;
          downloaded += chunk.length;
          o.onProgress(have, 'downloading');
        }
      } finally {
        await writer.close();
      }
      if (have < o.file.size) throw new WorkbenchError('HUB_UNREACHABLE', `The connection closed after ${have} of ${o.file.size} bytes of "${o.file.path}".`, 'Retry: the download continues from the partial file.');
    } catch (err) {
      if (o.signal.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new Error(String(o.signal.reason));
      const transient = isRetryable(err) || isStreamError(err);
      if (!transient) throw err;
      stalled = have > before ? 1 : stalled + 1;
      if (stalled > maxStalled) {
        throw err instanceof WorkbenchError
          ? err
          : new WorkbenchError('HUB_UNREACHABLE', `Downloading "${o.file.path}" kept failing (${(err as Error).message}).`, 'Retry later: the partial file is kept and the download continues from it.', { cause: err });
      }
      o.log?.(`${o.file.path}: ${(err as Error).message}; retrying from byte ${have}.`);
      hash = null; // re-derive from the bytes actually on disk
      await new Promise((r) => setTimeout(r, (o.retryDelayMs ?? 200) * Math.min(8, stalled)));
    }
  }

  o.onProgress(have, 'verifying');
  verifyHash(o.file, hash.digest('hex'), incomplete);
  await fs.promises.rename(incomplete, blob);
  o.cache.link(o.commit, o.file.path, etag);
  return { downloadedBytes: downloaded, resumedFrom };
}

function newHash(file: RemoteFile): Hash {
  // Regular files are checked against their git blob sha1: sha1("blob <size>\0" + content).
  return file.lfs ? createHash('sha256') : createHash('sha1').update(`blob ${file.size}\0`);
}

async function hashPrefix(file: RemoteFile, incomplete: string, have: number): Promise<Hash> {
  const hash = newHash(file);
  if (have === 0) return hash;
  const stream = fs.createReadStream(incomplete, { start: 0, end: have - 1, highWaterMark: 4 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  return hash;
}

function verifyHash(file: RemoteFile, actual: string, incomplete: string): void {
  const expected = file.lfs ? file.lfs.sha256 : file.gitOid;
  if (actual === expected) return;
  fs.rmSync(incomplete, { force: true });
  throw new WorkbenchError(
    'HUB_CHECKSUM_MISMATCH',
    `"${file.path}" failed verification: its ${file.lfs ? 'sha256' : 'git sha1'} is ${actual}, the Hub lists ${expected}.`,
    'The damaged download was deleted and not linked into the cache; retry the download.',
  );
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function isStreamError(err: unknown): boolean {
  if (err instanceof WorkbenchError) return false;
  const e = err as { name?: string; code?: string; cause?: { code?: string } };
  // undici reports a body cut mid-stream as TypeError('terminated') with a socket error cause.
  return e?.name === 'TypeError' || ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'ETIMEDOUT'].includes(e?.code ?? e?.cause?.code ?? '');
}

function diskError(err: unknown, file: string, repoPath: string): WorkbenchError | null {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new WorkbenchError('HUB_DISK_FULL', `The disk holding ${file} is full (${code}) while downloading "${repoPath}".`, 'Free some space (or point HF_HUB_CACHE at a larger disk) and retry: the download continues from the partial file.', { cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new WorkbenchError('HUB_CACHE_UNWRITABLE', `Cannot write ${file} (${code}).`, 'Fix the permissions of the HF cache folder or set HF_HUB_CACHE to a writable folder.', { cause: err });
  }
  return null;
}

async function openWriterOrExplain(open: OpenBlobWriter, file: string, append: boolean, repoPath: string): Promise<BlobWriter> {
  try {
    return await open(file, append);
  } catch (err) {
    throw diskError(err, file, repoPath) ?? err;
  }
}

async function writeOrExplain(writer: BlobWriter, chunk: Uint8Array, file: string, repoPath: string): Promise<void> {
  try {
    await writer.write(chunk);
  } catch (err) {
    throw diskError(err, file, repoPath) ?? err;
  }
}
