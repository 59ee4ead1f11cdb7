/**
 * What a result was computed from, file by file: size, modification time and sha256 of each
 * input (model weights, SAE weights, dataset files, tokenizer). Recorded when a job starts; later
 * a cheap stat tells whether anything may have changed, and only then is the content hashed
 * again, so a touched-but-identical file is not called stale.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface FileFingerprint {
  /** Absolute path. */
  file: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

export interface InputIdentity {
  root: string;
  files: FileFingerprint[];
  /** sha256 over the files' paths relative to the root and their hashes: content, not location. */
  sha256: string;
}

/** Content hashes already computed in this process, keyed by path, size and mtime. */
const hashCache = new Map<string, string>();

async function sha256File(file: string, st: fs.Stats): Promise<string> {
  const key = `${file}|${st.size}|${st.mtimeMs}`;
  const hit = hashCache.get(key);
  if (hit) return hit;
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  hashCache.set(key, digest);
  return digest;
}

export async function identifyInput(root: string, files: string[]): Promise<InputIdentity> {
  const out: FileFingerprint[] = [];
  for (const abs of [...new Set(files.map((f) => path.resolve(f)))].sort()) {
    const st = fs.statSync(abs);
    out.push({ file: abs, size: st.size, mtimeMs: st.mtimeMs, sha256: await sha256File(abs, st) });
  }
  const combined = createHash('sha256');
  for (const f of out) combined.update(`${path.relative(root, f.file) || path.basename(f.file)}\0${f.sha256}\n`);
  return { root, files: out, sha256: combined.digest('hex') };
}

/**
 * Whether the input still holds the same content: null when unchanged, else what changed
 * ("model.safetensors was modified", "cfg.json is missing").
 */
export async function inputChange(identity: InputIdentity): Promise<string | null> {
  for (const f of identity.files) {
    const abs = f.file;
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      return `${abs} is missing`;
    }
    if (st.size === f.size && st.mtimeMs === f.mtimeMs) continue;
    if (st.size !== f.size || (await sha256File(abs, st)) !== f.sha256) return `${abs} has changed since`;
  }
  return null;
}
