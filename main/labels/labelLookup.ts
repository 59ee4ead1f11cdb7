/**
 * Labels for the places that show a feature id beside other things (the Prompt page, job titles,
 * experiment verdicts): feature id -> label of one SAE folder, read-only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { databasePath, openDatabase, type Db } from '../db/connection';
import { IndexRegistry } from '../index/indexRegistry';
import { FeatureLabelStore } from './featureLabelStore';
import { isLabelledWeights, knownSaeKey, rememberDigest, saeContentKey } from './saeContentKey';

function names(db: Db, key: string): Map<number, string> {
  try {
    return new FeatureLabelStore(db).names(key);
  } catch {
    // A database from before labels (migration 320): none.
    return new Map();
  }
}

/**
 * Labels of the SAE in `saeDir` without reading its weights: known when the app hashed this
 * version of them before (a label set or listed, an import) or an index of it recorded the hash.
 * For callers that must not block (a job title written while the core queues it).
 */
export function knownLabelNames(db: Db, saeDir: string): Map<number, string> {
  const dir = path.resolve(saeDir);
  let key = knownSaeKey(dir, db);
  if (!key) {
    try {
      for (const rec of new IndexRegistry(db).list()) {
        const weights = rec.provenance.sae.files.find((f) => isLabelledWeights(f.file));
        if (path.resolve(rec.saePath) === dir && weights) rememberDigest(db, weights);
      }
    } catch {
      // A damaged registry row only costs the label here; the Features page reports the damage.
    }
    key = knownSaeKey(dir, db);
  }
  return key ? names(db, key) : new Map();
}

/** Labels of the SAE in `saeDir`, hashing its weights if this version was never hashed. */
export async function labelNames(db: Db, saeDir: string): Promise<Map<number, string>> {
  return names(db, await saeContentKey(path.resolve(saeDir), db));
}

/** The app database of `home` without migrating it, or null when there is none or it cannot be opened now. */
function openIfPresent(home: string | null | undefined): Db | null {
  if (!home || !fs.existsSync(databasePath(home))) return null;
  try {
    return openDatabase(home, { migrate: false });
  } catch {
    return null;
  }
}

/**
 * The same from a data directory, for processes that do not hold the app database open (job
 * workers, the job-title step of the CLI): opened without migrating, closed after. No database
 * (or a locked one) means no labels, never a failed job.
 */
export async function labelNamesInHome(home: string | null | undefined, saeDir: string, options: { hash: boolean }): Promise<Map<number, string>> {
  const db = openIfPresent(home);
  if (!db) return new Map();
  try {
    return options.hash ? await labelNames(db, saeDir) : knownLabelNames(db, saeDir);
  } catch {
    return new Map();
  } finally {
    db.close();
  }
}

/** The synchronous form for job titles (never hashes). */
export function knownLabelNamesInHome(home: string | null | undefined, saeDir: string): Map<number, string> {
  const db = openIfPresent(home);
  if (!db) return new Map();
  try {
    return knownLabelNames(db, saeDir);
  } catch {
    return new Map();
  } finally {
    db.close();
  }
}
