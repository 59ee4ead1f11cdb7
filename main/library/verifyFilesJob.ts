import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { WorkbenchError } from '../errors';
import { defineJobKind } from '../jobs/kind';

export interface VerifiedFile {
  path: string;
  size: number;
  sha256: string;
  /** Present when an expected digest was given. */
  matches?: boolean;
}

interface VerifyCheckpoint {
  done: VerifiedFile[];
}

const params = z.object({
  /** Files or folders (walked recursively, symlinks followed: HF snapshots are symlinks to blobs). */
  paths: z.array(z.string().min(1)).min(1),
  /** Expected sha256 per absolute file path; a mismatch fails the job naming the file. */
  expected: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)).optional(),
});

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
    const files = listFiles(p.paths);
    const total = files.reduce((s, f) => s + f.size, 0) || 1;
    const done = ((ctx.checkpoint as VerifyCheckpoint | null)?.done ?? []).filter((d) => files.some((f) => f.path === d.path));
    const doneSet = new Set(done.map((d) => d.path));
    if (done.length > 0) ctx.log('info', `Continuing: ${done.length} of ${files.length} files were verified before.`);
    let bytesDone = done.reduce((s, d) => s + d.size, 0);
    for (const file of files) {
      if (doneSet.has(file.path)) continue;
      ctx.throwIfStopped();
      const sha256 = await hashFile(file.path, ctx.signal, (n) => {
        bytesDone += n;
        ctx.progress(bytesDone / total, `${path.basename(file.path)}`);
      });
      ctx.throwIfStopped();
      const expected = p.expected?.[file.path];
      const entry: VerifiedFile = { path: file.path, size: file.size, sha256, ...(expected ? { matches: expected === sha256 } : {}) };
      done.push(entry);
      await ctx.saveCheckpoint({ done } satisfies VerifyCheckpoint);
      ctx.log(entry.matches === false ? 'error' : 'info', `${file.path}: ${sha256}${entry.matches === false ? ` (expected ${expected})` : ''}`);
    }
    ctx.progress(1, `${files.length} files verified`);
    const bad = done.filter((d) => d.matches === false);
    if (bad.length > 0) {
      throw new WorkbenchError(
        'CHECKSUM_MISMATCH',
        `${bad.length} file(s) do not match their expected sha256: ${bad.map((b) => b.path).join(', ')}.`,
        'Delete the damaged files and download them again.',
      );
    }
    return { files: done, totalBytes: total };
  },
});

function listFiles(roots: string[]): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  const visit = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw new WorkbenchError('FILE_NOT_FOUND', `${p} does not exist or cannot be read.`, 'Check the path; for Hub files, download them first.');
    }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) visit(path.join(p, name));
    } else if (st.isFile()) {
      out.push({ path: path.resolve(p), size: st.size });
    }
  };
  roots.forEach(visit);
  return out;
}

async function hashFile(file: string, signal: AbortSignal, onBytes: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const stream = fs.createReadStream(file, { highWaterMark: 4 << 20 });
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
