import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { WorkbenchError } from '../errors';
import { defineJobKind } from '../jobs/kind';
import { DirectoryWalk } from '../formats/directoryWalk';
import { openReadStream, readFileBytes } from '../formats/openedFile';

export interface VerifiedFile {
  path: string;
  size: number;
  sha256: string;
  /** Present when an expected digest was given. */
  matches?: boolean;
}

/** A file or folder that could not be read: recorded, and the others still verified. */
export interface UnreadableFile {
  path: string;
  error: string;
}

/** A link not followed: it leads to a folder already walked (a loop, or a second link to it). */
export interface SkippedLink {
  path: string;
  why: string;
}

interface VerifyCheckpoint {
  done: VerifiedFile[];
  unreadable?: UnreadableFile[];
}

/** Lines per kind of problem written to the job log one by one; the rest are counted (the result lists all). */
const LOGGED_PER_KIND = 20;
/**
 * A checkpoint holds every file verified so far, so one per file would cost n² for many small
 * files: one is saved after this long, or after this many bytes hashed (big files: each), and
 * always before pausing.
 */
const CHECKPOINT_INTERVAL_MS = 1000;
const CHECKPOINT_BYTES = 64 << 20;
/** Progress reports at most this often (a report per small file would be a message per file). */
const PROGRESS_INTERVAL_MS = 100;
/** Files up to this size are read in one piece; larger ones are streamed. */
const WHOLE_READ_BYTES = 4 << 20;

const params = z
  .object({
    paths: z.array(z.string().min(1)).min(1).describe('Files or folders to hash, one absolute path per line; folders are walked, symlinks followed (HF snapshots link to blobs).'),
    expected: z
      .record(z.string(), z.string().regex(/^[0-9a-f]{64}$/))
      .optional()
      .describe('Expected sha256 per absolute file path, e.g. {"/data/model.safetensors": "<64 hex>"}; a mismatch fails the job naming the file.'),
  })
  .strict();

/**
 * Hash files with sha256 and compare them against expected digests. Checkpoints after each file,
 * so pausing or a crash keeps the files already verified.
 */
export const verifyFilesJob = defineJobKind({
  kind: 'files.verify',
  description: 'Compute the sha256 of files (e.g. cached Hub blobs) and check them against expected digests.',
  params,
  title: (p) => `Verify ${p.paths.length === 1 ? path.basename(p.paths[0]) : `${p.paths.length} paths`}`,
  resource: 'cpu',
  pausable: true,
  maxAttempts: 3,
  async run(ctx, p) {
    const listed = listFiles(p.paths, (message) => ctx.log('warn', message));
    const files = listed.files;
    const skipped = listed.skipped;
    const total = files.reduce((s, f) => s + f.size, 0) || 1;
    const saved = ctx.checkpoint as VerifyCheckpoint | null;
    const listedPaths = new Set(files.map((f) => f.path));
    const done = (saved?.done ?? []).filter((d) => listedPaths.has(d.path));
    const unreadable: UnreadableFile[] = [...listed.unreadable, ...(saved?.unreadable ?? []).filter((u) => listedPaths.has(u.path))];
    for (const u of listed.unreadable.slice(0, LOGGED_PER_KIND)) ctx.log('warn', `${u.path}: ${u.error}; skipped.`);
    if (listed.unreadable.length > LOGGED_PER_KIND) ctx.log('warn', `${listed.unreadable.length - LOGGED_PER_KIND} more paths could not be read; the result lists them all.`);
    for (const l of skipped.slice(0, LOGGED_PER_KIND)) ctx.log('warn', `${l.path}: ${l.why}.`);
    const finished = new Set([...done, ...unreadable].map((d) => d.path));
    if (done.length > 0) ctx.log('info', `Continuing: ${done.length} of ${files.length} files were verified before.`);
    let bytesDone = done.reduce((s, d) => s + d.size, 0);
    let lastCheckpoint = Date.now();
    let bytesAtCheckpoint = bytesDone;
    const checkpoint = async (force = false) => {
      if (!force && Date.now() - lastCheckpoint < CHECKPOINT_INTERVAL_MS && bytesDone - bytesAtCheckpoint < CHECKPOINT_BYTES) return;
      await ctx.saveCheckpoint({ done, unreadable } satisfies VerifyCheckpoint);
      lastCheckpoint = Date.now();
      bytesAtCheckpoint = bytesDone;
    };
    const stopIfAsked = async () => {
      if (!ctx.stopReason()) return;
      if (ctx.stopReason() === 'pause') await checkpoint(true);
      ctx.throwIfStopped();
    };
    let unreadableLogged = 0;
    let reportedAt = 0;
    const report = (name: string) => {
      const now = Date.now();
      if (now - reportedAt < PROGRESS_INTERVAL_MS) return;
      reportedAt = now;
      ctx.progress(bytesDone / total, name);
    };
    let yieldedAt = Date.now();
    for (const file of files) {
      if (finished.has(file.path)) continue;
      // Small files hash without waiting on anything: let a pause or cancel message in now and then.
      if (Date.now() - yieldedAt > PROGRESS_INTERVAL_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        yieldedAt = Date.now();
      }
      await stopIfAsked();
      const before = bytesDone;
      let sha256: string;
      try {
        sha256 = await hashFile(file.path, file.size, ctx.signal, (n) => {
          bytesDone += n;
          report(path.basename(file.path));
        });
      } catch (err) {
        // One unreadable file (permissions, a disk error, removed meanwhile) must not lose the others.
        bytesDone = before + file.size;
        const error = (err as Error).message;
        unreadable.push({ path: file.path, error });
        if (unreadableLogged++ < LOGGED_PER_KIND) ctx.log('warn', `${file.path}: cannot be read (${error}); skipped.`);
        await checkpoint();
        continue;
      }
      await stopIfAsked();
      const expected = p.expected?.[file.path];
      const entry: VerifiedFile = { path: file.path, size: file.size, sha256, ...(expected ? { matches: expected === sha256 } : {}) };
      done.push(entry);
      await checkpoint();
      if (done.length <= LOGGED_PER_KIND || entry.matches === false) ctx.log(entry.matches === false ? 'error' : 'info', `${file.path}: ${sha256}${entry.matches === false ? ` (expected ${expected})` : ''}`);
    }
    if (done.length > LOGGED_PER_KIND) ctx.log('info', `${done.length - LOGGED_PER_KIND} more files verified; the result lists them all.`);
    ctx.progress(1, `${done.length} files verified${unreadable.length ? `, ${unreadable.length} unreadable` : ''}`);
    // Nothing verified while something was there is a failure that names it, never an empty pass.
    if (done.length === 0 && unreadable.length + skipped.length > 0) {
      throw new WorkbenchError(
        'FILE_NOT_FOUND',
        `None of the files could be read: ${firstFew([...unreadable.map((u) => `${u.path} (${u.error})`), ...skipped.map((l) => `${l.path} (${l.why})`)], '; ')}.`,
        'Check the paths and their permissions; for Hub files, download them first. Special files (FIFOs, devices, sockets) are never read.',
      );
    }
    // An expected digest that was never compared is a failed check, not a pass.
    const checked = new Set([...done, ...unreadable].map((d) => d.path));
    const unreached = Object.keys(p.expected ?? {}).filter((f) => !checked.has(path.resolve(f)));
    for (const f of unreached) unreadable.push({ path: path.resolve(f), error: 'has an expected sha256 but was not found under the given paths' });
    const whyUnread = new Map(unreadable.map((u) => [u.path, u.error]));
    const unchecked = Object.keys(p.expected ?? {}).filter((f) => whyUnread.has(path.resolve(f)));
    const bad = done.filter((d) => d.matches === false);
    if (bad.length > 0) {
      throw new WorkbenchError(
        'CHECKSUM_MISMATCH',
        `${bad.length} file(s) do not match their expected sha256: ${firstFew(bad.map((b) => b.path), ', ')}.`,
        'Delete the damaged files and download them again.',
      );
    }
    if (unchecked.length > 0) {
      throw new WorkbenchError(
        'FILE_NOT_FOUND',
        `${unchecked.length} file(s) with an expected sha256 could not be checked: ${firstFew(unchecked.map((f) => `${f} (${whyUnread.get(path.resolve(f))})`), '; ')}.`,
        'Check the paths and their permissions; for Hub files, download them first.',
      );
    }
    return { files: done, unreadable, skipped, totalBytes: total };
  },
});

/** The first few of a list, and how many more: an error message stays readable with 200,000 paths. */
function firstFew(items: string[], separator: string): string {
  const shown = items.slice(0, 5).join(separator);
  return items.length > 5 ? `${shown}${separator}and ${items.length - 5} more (the job log lists them all)` : shown;
}

/** Folders are walked with links followed, each folder once (a symlink loop is skipped and logged), within a bound. */
const VERIFY_WALK_LIMITS = { maxDepth: 32, maxEntries: 1_000_000 };

/** What a path that is not a regular file is, for the result. */
function notRegular(st: fs.Stats): string {
  const what = st.isFIFO() ? 'a named pipe (FIFO)' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
  return `${what}, not a regular file; not read`;
}

/** The files under `roots`; paths that cannot be read, and links not followed, are returned apart, with why. */
function listFiles(roots: string[], log: (message: string) => void): { files: { path: string; size: number }[]; unreadable: UnreadableFile[]; skipped: SkippedLink[] } {
  const files: { path: string; size: number }[] = [];
  const unreadable: UnreadableFile[] = [];
  const walk = new DirectoryWalk(VERIFY_WALK_LIMITS);
  const special = (p: string) => {
    try {
      unreadable.push({ path: path.resolve(p), error: notRegular(fs.statSync(p)) });
    } catch (err) {
      unreadable.push({ path: path.resolve(p), error: (err as Error).message });
    }
  };
  const visit = (dir: string, depth: number) => {
    for (const e of walk.list(dir, '', depth) ?? []) {
      if (e.type === 'dir') visit(e.abs, depth + 1);
      else if (e.type === 'file') files.push({ path: path.resolve(e.abs), size: e.size });
      else if (e.type === 'dangling') unreadable.push({ path: path.resolve(e.abs), error: 'does not exist' }); // a dangling link
      else special(e.abs);
    }
  };
  for (const p of roots) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      unreadable.push({ path: path.resolve(p), error: code === 'ENOENT' ? 'does not exist' : code === 'ELOOP' ? 'a symlink loop: it leads to itself' : (err as Error).message });
      continue;
    }
    if (st.isDirectory()) visit(p, 0);
    else if (st.isFile()) files.push({ path: path.resolve(p), size: st.size });
    else special(p);
  }
  walk.problems.slice(0, LOGGED_PER_KIND).forEach(log);
  // A folder the walk could not enter may hold files: they are unverified, not absent.
  for (const u of walk.unlisted) unreadable.push({ path: path.resolve(u.path), error: u.why });
  const skipped = walk.revisited.map((r) => ({ path: path.resolve(r.path), why: `a link to a folder already walked${r.target ? ` (${r.target})` : ''}: a symlink loop or a second link; not followed` }));
  return { files, unreadable, skipped };
}

async function hashFile(file: string, size: number, signal: AbortSignal, onBytes: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  if (size <= WHOLE_READ_BYTES) {
    // A small file in one read through the same checked open (a stream per file costs more than its hash).
    const bytes = readFileBytes(file, WHOLE_READ_BYTES);
    onBytes(bytes.length);
    return hash.update(bytes).digest('hex');
  }
  const stream = openReadStream(file, { highWaterMark: 4 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (signal.aborted) {
      stream.destroy();
      break;
    }
    hash.update(chunk);
    onBytes(chunk.length);
  }
  return hash.digest('hex');
}
