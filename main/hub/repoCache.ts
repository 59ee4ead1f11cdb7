import fs from 'node:fs';
import path from 'node:path';
import type { HubRepoType } from '../../preload/contract/hub';
import { WorkbenchError } from '../errors';
import { isCommitSha, repoFolderName, validateRevision } from './repoRef';

/**
 * One repo's folder in the HF cache, laid out exactly as huggingface_hub writes it:
 *   <cache>/models--owner--name/blobs/<etag>            content (etag: sha256 for LFS, git sha1 otherwise)
 *   <cache>/models--owner--name/blobs/<etag>.incomplete a download in progress (resumed with Range)
 *   <cache>/models--owner--name/snapshots/<commit>/<path>  relative symlink to ../../blobs/<etag>
 *   <cache>/models--owner--name/refs/<revision>         the commit sha a branch or tag pointed at
 */
export class RepoCache {
  readonly root: string;

  constructor(
    readonly cacheDir: string,
    readonly repoId: string,
    readonly repoType: HubRepoType,
  ) {
    this.root = path.join(cacheDir, repoFolderName(repoId, repoType));
  }

  blobPath(etag: string): string {
    if (!/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(etag)) {
      throw new WorkbenchError('HUB_BAD_ETAG', `The Hub gave "${etag}" as the content hash of a file in ${this.repoId}; expected a git sha1 or sha256.`, 'The endpoint may not be a Hugging Face Hub; check HF_ENDPOINT.');
    }
    return path.join(this.root, 'blobs', etag);
  }

  incompletePath(etag: string): string {
    return `${this.blobPath(etag)}.incomplete`;
  }

  /**
   * Our own lock per blob, beside huggingface_hub's .locks/<repo>/<etag>.lock (those are flock()s that
   * Node cannot take, so the app uses a separate pid file rather than misreading Python's).
   */
  lockPath(etag: string): string {
    return path.join(this.cacheDir, '.locks', path.basename(this.root), `${path.basename(this.blobPath(etag))}.sae-workbench.lock`);
  }

  snapshotDir(commit: string): string {
    if (!isCommitSha(commit)) throw new WorkbenchError('HUB_BAD_COMMIT', `"${commit}" is not a commit sha (40 hex characters).`, 'The endpoint may not be a Hugging Face Hub; check HF_ENDPOINT.');
    return path.join(this.root, 'snapshots', commit);
  }

  /** The snapshot path of a repo file; repo paths that would leave the snapshot are refused. */
  snapshotPath(commit: string, repoPath: string): string {
    return path.join(this.snapshotDir(commit), ...safeRepoPathSegments(repoPath, this.repoId));
  }

  refPath(revision: string): string {
    return path.join(this.root, 'refs', ...validateRevision(revision).split('/'));
  }

  readRef(revision: string): string | null {
    try {
      const sha = fs.readFileSync(this.refPath(revision), 'utf8').trim();
      return isCommitSha(sha) ? sha : null;
    } catch {
      return null;
    }
  }

  /** Like huggingface_hub: a ref file is written only when the revision is a name, not a sha. */
  writeRef(revision: string, commit: string): void {
    if (revision === commit || this.readRef(revision) === commit) return;
    const file = this.refPath(revision);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, commit);
    fs.renameSync(tmp, file);
  }

  /** The commit a revision resolves to from the cache alone (offline), or null. */
  commitFromCache(revision: string): string | null {
    if (isCommitSha(revision)) return fs.existsSync(this.snapshotDir(revision)) ? revision : null;
    return this.readRef(revision);
  }

  /** True when blobs/<etag> holds a complete file of the expected size. */
  hasBlob(etag: string, size: number): boolean {
    try {
      const st = fs.statSync(this.blobPath(etag));
      return st.isFile() && st.size === size;
    } catch {
      return false;
    }
  }

  /** True when the snapshot already links this file to a complete blob with this etag. */
  isLinked(commit: string, repoPath: string, etag: string, size: number): boolean {
    const pointer = this.snapshotPath(commit, repoPath);
    try {
      const target = path.resolve(path.dirname(pointer), fs.readlinkSync(pointer));
      return target === this.blobPath(etag) && this.hasBlob(etag, size);
    } catch {
      return false;
    }
  }

  /** snapshots/<commit>/<path> -> relative path to blobs/<etag>, replacing whatever was there. */
  link(commit: string, repoPath: string, etag: string): string {
    const pointer = this.snapshotPath(commit, repoPath);
    fs.mkdirSync(path.dirname(pointer), { recursive: true });
    const relative = path.relative(path.dirname(pointer), this.blobPath(etag));
    fs.rmSync(pointer, { force: true });
    fs.symlinkSync(relative, pointer);
    return pointer;
  }

  /** Files of a cached snapshot: path, size and the blob name (etag) each links to. */
  listSnapshot(commit: string): { path: string; size: number; etag: string | null }[] {
    const root = this.snapshotDir(commit);
    const out: { path: string; size: number; etag: string | null }[] = [];
    const walk = (dir: string, prefix: string) => {
      let names: string[];
      try {
        names = fs.readdirSync(dir).sort();
      } catch {
        return;
      }
      for (const name of names) {
        const full = path.join(dir, name);
        const rel = prefix ? `${prefix}/${name}` : name;
        let st: fs.Stats;
        try {
          st = fs.statSync(full);
        } catch {
          continue; // a dangling link: its blob was deleted, the file is not usable
        }
        if (st.isDirectory()) walk(full, rel);
        else if (st.isFile()) {
          let etag: string | null = null;
          try {
            etag = path.basename(fs.readlinkSync(full));
          } catch {
            // a real file (huggingface_hub without symlink support copies blobs): no etag known
          }
          out.push({ path: rel, size: st.size, etag: etag && /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(etag) ? etag : null });
        }
      }
    };
    walk(root, '');
    return out;
  }
}

/** Split a repo path into safe segments; "../", absolute paths and odd characters are refused. */
export function safeRepoPathSegments(repoPath: string, repoId: string): string[] {
  const segments = repoPath.split('/');
  const unsafe =
    repoPath.length === 0 ||
    repoPath.length > 4096 ||
    repoPath.startsWith('/') ||
    repoPath.includes('\\') ||
    repoPath.includes('\0') ||
    /^[A-Za-z]:/.test(repoPath) ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  if (unsafe) {
    throw new WorkbenchError(
      'HUB_UNSAFE_PATH',
      `The file listing of ${repoId} contains the path "${repoPath}", which would escape the cache folder.`,
      'Nothing was written for it. The endpoint may be misbehaving or malicious; check HF_ENDPOINT.',
    );
  }
  return segments;
}
