/**
 * What identifies an experiment's inputs in its artifact: every regular file of a model or SAE
 * folder and every data file of a dataset, with size, modification time and sha256 (up to a size
 * limit, above which hashing would dominate a run; size and mtime then stand in).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { InputFileIdentity, InputIdentity } from '../../preload/api';

/** Files up to this size are hashed whole. */
export const HASH_LIMIT_BYTES = 1024 * 1024 * 1024;

const cache = new Map<string, InputFileIdentity>();

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function fileIdentity(file: string): Promise<InputFileIdentity> {
  const resolved = path.resolve(file);
  const st = fs.statSync(resolved);
  const key = `${resolved}|${st.size}|${st.mtimeMs}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const identity = { path: resolved, bytes: st.size, mtimeMs: st.mtimeMs, sha256: st.size <= HASH_LIMIT_BYTES ? await sha256(resolved) : null };
  cache.set(key, identity);
  return identity;
}

/** A folder's regular files (links followed, not recursive), or a single file. */
export async function inputIdentity(role: string, target: string, files?: string[]): Promise<InputIdentity> {
  const resolved = path.resolve(target);
  const list =
    files ??
    (fs.statSync(resolved).isDirectory()
      ? fs
          .readdirSync(resolved)
          .sort()
          .map((name) => path.join(resolved, name))
          .filter((f) => fs.statSync(f).isFile())
      : [resolved]);
  const out: InputFileIdentity[] = [];
  for (const f of list) out.push(await fileIdentity(f));
  return { role, path: resolved, files: out };
}
