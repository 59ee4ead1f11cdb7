/**
 * Walking folders the user points at, links followed (HF snapshots are links into blobs/), in
 * bounded time. A directory is entered at most once, identified by (device, inode), so a link
 * loop (`ln -s . loop`) or a second link to the same folder is seen for what it is instead of
 * being walked 2^depth times; depth and the total number of entries are capped. What was skipped
 * is reported as problems, each naming the path.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface WalkEntry {
  name: string;
  abs: string;
  /** Relative to the walk's root, '/'-separated. */
  rel: string;
  /** What the path is once links are followed: a dangling link is one whose target is missing. */
  type: 'file' | 'dir' | 'dangling' | 'other';
  /** Bytes, for files. */
  size: number;
}

export interface WalkLimits {
  maxDepth: number;
  maxEntries: number;
}

const MAX_PROBLEMS = 20;

export const DEFAULT_WALK_LIMITS: WalkLimits = { maxDepth: 8, maxEntries: 50_000 };

export class DirectoryWalk {
  private readonly visited = new Set<string>();
  private entries = 0;
  private stopped = false;
  /** Loops, duplicate links, unreadable folders and the budget running out, for the caller to report. */
  readonly problems: string[] = [];
  /**
   * Folders whose files were not listed although they may hold some the caller has not seen
   * (unreadable, too deep, over budget), for callers that must account for every file, like
   * files.verify. Folders already walked through another path are not here: nothing was missed.
   */
  readonly unlisted: { path: string; why: string }[] = [];
  /** Links to folders already walked (a loop, or a second link to one), not followed again. */
  readonly revisited: { path: string; target: string }[] = [];
  private unreported = 0;

  constructor(readonly limits: WalkLimits = DEFAULT_WALK_LIMITS) {}

  /** Whether the entry budget ran out (later `list` calls return null). */
  get exhausted(): boolean {
    return this.stopped;
  }

  /**
   * The entries of `dir` (sorted by name), or null when it must not be walked: already visited
   * (a loop or a duplicate link), deeper than the limit, unreadable, or the budget is spent.
   */
  list(dir: string, rel: string, depth: number): WalkEntry[] | null {
    if (this.stopped) {
      this.unlisted.push({ path: dir, why: `not walked: the walk stopped after ${this.limits.maxEntries} entries` });
      return null;
    }
    if (depth > this.limits.maxDepth) {
      this.report(`${dir}: deeper than ${this.limits.maxDepth} folders below the added folder; not scanned (add it by itself)`);
      this.unlisted.push({ path: dir, why: `deeper than ${this.limits.maxDepth} folders; not walked` });
      return null;
    }
    let id: string;
    try {
      const st = fs.statSync(dir, { bigint: true });
      id = `${st.dev}:${st.ino}`;
    } catch (err) {
      this.report(`${dir}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      this.unlisted.push({ path: dir, why: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
      return null;
    }
    if (this.visited.has(id)) {
      let target = '';
      try {
        target = fs.realpathSync(dir);
      } catch {
        // described without its target
      }
      this.report(`${dir} leads to a folder already scanned${target ? ` (${target})` : ''}: a symlink loop or a second link to it; skipped`);
      this.revisited.push({ path: dir, target });
      return null;
    }
    this.visited.add(id);
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch (err) {
      this.report(`${dir}: cannot be listed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      this.unlisted.push({ path: dir, why: `cannot be listed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
      return null;
    }
    if (this.entries + names.length > this.limits.maxEntries) {
      this.stopped = true;
      this.report(`${dir}: the scan stopped after ${this.limits.maxEntries} entries; add smaller folders to the Library instead`);
      this.unlisted.push({ path: dir, why: `not walked: the walk stopped after ${this.limits.maxEntries} entries` });
      return null;
    }
    this.entries += names.length;
    return names.map((name) => {
      const abs = path.join(dir, name);
      const entry: WalkEntry = { name, abs, rel: rel ? `${rel}/${name}` : name, type: 'other', size: 0 };
      try {
        const st = fs.statSync(abs);
        entry.type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
        entry.size = st.isFile() ? st.size : 0;
      } catch {
        entry.type = isLink(abs) ? 'dangling' : 'other';
      }
      return entry;
    });
  }

  private report(problem: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
    else if (++this.unreported === 1) this.problems.push('(more problems of the same kinds were not listed)');
  }

  /** Bytes and files in `entries` (a listed folder) and below, within the same budget and loop check. */
  treeSize(entries: WalkEntry[], depth: number): { size: number; files: number } {
    let size = 0;
    let files = 0;
    for (const e of entries) {
      if (e.type === 'dir') {
        const t = this.treeSize(this.list(e.abs, e.rel, depth + 1) ?? [], depth + 1);
        size += t.size;
        files += t.files;
      } else if (e.type === 'file') {
        size += e.size;
        files += 1;
      }
    }
    return { size, files };
  }
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
