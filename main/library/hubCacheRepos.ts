import fs from 'node:fs';
import path from 'node:path';
import { readTextFile } from '../formats/openedFile';

/** One snapshot of one repo in the HF cache that the Library should read. */
export interface CachedSnapshot {
  repoType: 'model' | 'dataset';
  repoId: string;
  commit: string;
  /** Refs pointing at this commit ("main", "v1.0", "pr/3"). */
  refs: string[];
  dir: string;
}

const repoDirPattern = /^(models|datasets)--(.+)$/;

/**
 * The snapshots of the HF cache worth listing: those a ref points at (the revisions the user
 * asked for). A repo fetched only by commit sha has no ref; then its newest snapshot stands in.
 * Spaces are skipped: they hold nothing the Library can use.
 */
export function listCachedSnapshots(cacheDir: string): CachedSnapshot[] {
  let names: string[];
  try {
    names = fs.readdirSync(cacheDir).sort();
  } catch {
    return [];
  }
  const out: CachedSnapshot[] = [];
  for (const name of names) {
    const m = repoDirPattern.exec(name);
    if (!m) continue;
    const repoType = m[1] === 'models' ? 'model' : 'dataset';
    // huggingface_hub: repo_id.replace("/", "--"), read back by splitting once on the type.
    const repoId = m[2].replace(/--/g, '/');
    const repoDir = path.join(cacheDir, name);
    const snapshotsDir = path.join(repoDir, 'snapshots');
    let commits: string[];
    try {
      commits = fs.readdirSync(snapshotsDir).filter((c) => isDir(path.join(snapshotsDir, c)));
    } catch {
      continue;
    }
    if (commits.length === 0) continue;
    const refsByCommit = readRefs(path.join(repoDir, 'refs'));
    let chosen = commits.filter((c) => refsByCommit.has(c));
    if (chosen.length === 0) {
      chosen = [commits.reduce((a, b) => (mtime(path.join(snapshotsDir, b)) > mtime(path.join(snapshotsDir, a)) ? b : a))];
    }
    for (const commit of chosen.sort()) {
      out.push({ repoType, repoId, commit, refs: (refsByCommit.get(commit) ?? []).sort(), dir: path.join(snapshotsDir, commit) });
    }
  }
  return out;
}

/** refs/<name> files (nested for refs/pr/N) each hold a commit sha. */
function readRefs(refsDir: string): Map<string, string[]> {
  const byCommit = new Map<string, string[]>();
  const visit = (dir: string, prefix: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) visit(p, `${prefix}${e.name}/`);
      else {
        let commit = '';
        try {
          commit = readTextFile(p, 4096).trim();
        } catch {
          continue; // not a ref file (a FIFO, a huge file): not ours to read
        }
        if (commit) byCommit.set(commit, [...(byCommit.get(commit) ?? []), `${prefix}${e.name}`]);
      }
    }
  };
  visit(refsDir, '');
  return byCommit;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function mtime(p: string): number {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}
