/**
 * THE key an SAE's labels are stored under: "sha256:<hex>" of its sae_weights.safetensors.
 *
 * Why the weights' content and not the folder (or the Library's identity, which is the folder for
 * local items):
 *  - a label names a feature, and a feature is a row of these weights: the same weights anywhere
 *    (a moved folder, the demo bundle generated twice, a copy on a GPU box, an index of it built
 *    on another dataset) keep their labels, and a rescan changes nothing;
 *  - an SAE retrained into the same folder has other features: keyed by path, its labels would
 *    silently name the wrong features; keyed by content they are simply not there.
 * cfg.json is left out on purpose: editing its metadata (model_name, a neuronpedia_id) does not
 * change what the features are. The cost is hashing the weights once per file version; the digest
 * is cached by the file's identity (real path, device, inode, size, mtime) in the app database
 * (migration 320) and in memory, so a large SAE is read once, not per request. An index already
 * recorded the same digest in its provenance when it was built (keyFromProvenance).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';
import { fileAbsence, openReadStream } from '../formats/openedFile';
import { SAE_WEIGHTS_FILE } from '../formats/saeConfig';
import { CROSSCODER_WEIGHTS_FILE } from '../formats/crosscoder';
import type { FileFingerprint, InputIdentity } from '../provenance/inputFiles';

export const SAE_KEY_PREFIX = 'sha256:';

interface FileIdentity {
  file: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

const memory = new Map<string, string>();

function memoryKey(id: FileIdentity): string {
  return `${id.file}|${id.dev}|${id.ino}|${id.size}|${id.mtimeMs}`;
}

function identityOf(weights: string): FileIdentity {
  const absent = fileAbsence(weights);
  if (absent) {
    throw new WorkbenchError('SAE_NOT_FOUND', `${weights} ${absent.text}: ${path.dirname(weights)} is not a usable sae_lens SAE folder.`, 'Point --sae (or the picker) at a folder holding cfg.json and sae_weights.safetensors.');
  }
  const file = fs.realpathSync(weights);
  const st = fs.statSync(file);
  return { file, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

function cachedDigest(db: Db | null, id: FileIdentity): string | null {
  const hit = memory.get(memoryKey(id));
  if (hit || !db) return hit ?? null;
  try {
    const row = db.prepare('SELECT sha256 FROM sae_weight_digests WHERE file = ? AND dev = ? AND ino = ? AND size = ? AND mtime_ms = ?').get(id.file, id.dev, id.ino, id.size, id.mtimeMs) as { sha256: string } | undefined;
    return row?.sha256 ?? null;
  } catch {
    // A database from before migration 320 (a worker never migrates): hash instead.
    return null;
  }
}

function remember(db: Db | null, id: FileIdentity, sha256: string): void {
  memory.set(memoryKey(id), sha256);
  if (!db) return;
  try {
    db.prepare('INSERT OR REPLACE INTO sae_weight_digests (file, dev, ino, size, mtime_ms, sha256) VALUES (?, ?, ?, ?, ?, ?)').run(id.file, id.dev, id.ino, id.size, id.mtimeMs, sha256);
  } catch {
    // Read-only or older database: the memory cache still serves this process.
  }
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  // openReadStream checks it is a regular file (a FIFO would block the read forever).
  for await (const chunk of openReadStream(file, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The weights file a folder's labels are keyed by: a crosscoder's crosscoder_weights.safetensors, else sae_weights.safetensors. */
export function weightsFileIn(saeDir: string): string {
  const cc = path.join(saeDir, CROSSCODER_WEIGHTS_FILE);
  return fs.existsSync(cc) ? cc : path.join(saeDir, SAE_WEIGHTS_FILE);
}

/** Whether a provenance file is the one labels are keyed by. */
export function isLabelledWeights(file: string): boolean {
  const name = path.basename(file);
  return name === SAE_WEIGHTS_FILE || name === CROSSCODER_WEIGHTS_FILE;
}

/** The label key of the SAE in `saeDir` (hashing its weights unless this file version was hashed before). */
export async function saeContentKey(saeDir: string, db: Db | null): Promise<string> {
  const id = identityOf(weightsFileIn(saeDir));
  const known = cachedDigest(db, id);
  if (known) return `${SAE_KEY_PREFIX}${known}`;
  const digest = await hashFile(id.file);
  remember(db, id, digest);
  return `${SAE_KEY_PREFIX}${digest}`;
}

/**
 * Record a digest computed elsewhere (an index build's provenance) for its file, when the file on
 * disk still has the size and modification time it had then: a later request for the folder
 * (a job title, the Prompt page) then needs no hashing.
 */
export function rememberDigest(db: Db | null, fingerprint: FileFingerprint): void {
  try {
    const id = identityOf(fingerprint.file);
    if (id.size === fingerprint.size && id.mtimeMs === fingerprint.mtimeMs) remember(db, id, fingerprint.sha256);
  } catch {
    // Moved or missing since the build: nothing to remember.
  }
}

/** The key of the SAE in `saeDir` when this version of its weights was hashed before, else null (never hashes). */
export function knownSaeKey(saeDir: string, db: Db | null): string | null {
  try {
    const digest = cachedDigest(db, identityOf(weightsFileIn(saeDir)));
    return digest ? `${SAE_KEY_PREFIX}${digest}` : null;
  } catch {
    return null;
  }
}

/** The key of the SAE an index was built from, as its provenance recorded it (no hashing). */
export function keyFromProvenance(sae: InputIdentity): string | null {
  const weights = sae.files.find((f) => isLabelledWeights(f.file));
  return weights ? `${SAE_KEY_PREFIX}${weights.sha256}` : null;
}

/** Forget the in-memory digests (tests that rewrite a file within one mtime tick). */
export function clearSaeKeyMemory(): void {
  memory.clear();
}
