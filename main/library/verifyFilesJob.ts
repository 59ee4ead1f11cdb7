import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { WorkbenchError } from '../errors';
import { defineJobKind } from '../jobs/kind';
import { DirectoryWalk } from '../formats/directoryWalk';
import { openReadStream } from '../formats/openedFile';

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

interface VerifyCheckpoint {
  done: VerifiedFile[];
  unreadable?: UnreadableFile[];
}

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
    const total = files.reduce((s, f) => s + f.size, 0) || 1;
    const saved = ctx.checkpoint as VerifyCheckpoint | null;
    const done = (saved?.done ?? []).filter((d) => files.some((f) => f.path === d.path));
    const unreadable: UnreadableFile[] = [...listed.unreadable, ...(saved?.unreadable ?? []).filter((u) => files.some((f) => f.path === u.path))];
    for (const u of listed.unreadable) ctx.log('warn', `${u.path}: ${u.error}; skipped.`);
    const finished = new Set([...done, ...unreadable].map((d) => d.path));
    if (done.length > 0) ctx.log('info', `Continuing: ${done.length} of ${files.length} files were verified before.`);
    let bytesDone = done.reduce((s, d) => s + d.size, 0);
    for (const file of files) {
      if (finished.has(file.path)) continue;
      ctx.throwIfStopped();
      const before = bytesDone;
      let sha256: string;
      try {
        sha256 = await hashFile(file.path, ctx.signal, (n) => {
          bytesDone += n;
          ctx.progress(bytesDone / total, `${path.basename(file.path)}`);
        });
      } catch (err) {
        // One unreadable file (permissions, a disk error, removed meanwhile) must not lose the others.
        bytesDone = before + file.size;
        const error = (err as Error).message;
        unreadable.push({ path: file.path, error });
        ctx.log('warn', `${file.path}: cannot be read (${error}); skipped.`);
        await ctx.saveCheckpoint({ done, unreadable } satisfies VerifyCheckpoint);
        continue;
      }
      ctx.throwIfStopped();
      const expected = p.expected?.[file.path];
      const entry: VerifiedFile = { path: file.path, size: file.size, sha256, ...(expected ? { matches: expected === sha256 } : {}) };
      done.push(entry);
      await ctx.saveCheckpoint({ done, unreadable } satisfies VerifyCheckpoint);
      ctx.log(entry.matches === false ? 'error' : 'info', `${file.path}: ${sha256}${entry.matches === false ? ` (expected ${expected})` : ''}`);
    }
    ctx.progress(1, `${done.length} files verified${unreadable.length ? `, ${unreadable.length} unreadable` : ''}`);
    if (done.length === 0 && unreadable.length > 0) {
      throw new WorkbenchError(
        'FILE_NOT_FOUND',
        `None of the files could be read: ${firstFew(unreadable.map((u) => `${u.path} (${u.error})`), '; ')}.`,
        'Check the paths and their permissions; for Hub files, download them first.',
      );
    }
    // An expected digest that was never compared is a failed check, not a pass.
    const checked = new Set([...done, ...unreadable].map((d) => d.path));
    const unreached = Object.keys(p.expected ?? {}).filter((f) => !checked.has(path.resolve(f)));
    for (const f of unreached) unreadable.push({ path: path.resolve(f), error: 'has an expected sha256 but was not found under the given paths' });
    const unchecked = Object.keys(p.expected ?? {}).filter((f) => unreadable.some((u) => u.path === path.resolve(f)));
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
        `${unchecked.length} file(s) with an expected sha256 could not be checked: ${firstFew(unchecked.map((f) => `${f} (${unreadable.find((u) => u.path === path.resolve(f))!.error})`), '; ')}.`,
        'Check the paths and their permissions; for Hub files, download them first.',
      );
    }
    return { files: done, unreadable, totalBytes: total };
  },
});

/** The first few of a list, and how many more: an error message stays readable with 200,000 paths. */
function firstFew(items: string[], separator: string): string {
  const shown = items.slice(0, 5).join(separator);
  return items.length > 5 ? `${shown}${separator}and ${items.length - 5} more (the job log lists them all)` : shown;
}

/** Folders are walked with links followed, each folder once (a symlink loop is skipped and logged), within a bound. */
const VERIFY_WALK_LIMITS = { maxDepth: 32, maxEntries: 1_000_000 };

/** The files under `roots`; paths that cannot be read are returned apart, with why. */
function listFiles(roots: string[], log: (message: string) => void): { files: { path: string; size: number }[]; unreadable: UnreadableFile[] } {
  const files: { path: string; size: number }[] = [];
  const unreadable: UnreadableFile[] = [];
  const walk = new DirectoryWalk(VERIFY_WALK_LIMITS);
  const visit = (dir: string, depth: number) => {
    for (const e of walk.list(dir, '', depth) ?? []) {
      if (e.type === 'dir') visit(e.abs, depth + 1);
      else if (e.type === 'file') files.push({ path: path.resolve(e.abs), size: e.size });
      else if (e.type === 'dangling') unreadable.push({ path: path.resolve(e.abs), error: 'does not exist' }); // a dangling link
      else log(`${e.abs} is not a regular file (a FIFO, socket or device); skipped`);
    }
  };
  for (const p of roots) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (err) {
      unreadable.push({ path: path.resolve(p), error: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as Error).message });
      continue;
    }
    if (st.isDirectory()) visit(p, 0);
    else if (st.isFile()) files.push({ path: path.resolve(p), size: st.size });
    else log(`${p} is not a regular file (a FIFO, socket or device); skipped`);
  }
  walk.problems.forEach(log);
  // A folder the walk could not enter may hold files: they are unverified, not absent.
  for (const u of walk.unlisted) unreadable.push({ path: path.resolve(u.path), error: u.why });
  return { files, unreadable };
}

async function hashFile(file: string, signal: AbortSignal, onBytes: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
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
