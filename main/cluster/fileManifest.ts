/**
 * sha256 manifests of files and folders, computed the same way here (Node) and on the cluster
 * (coreutils' sha256sum), so an input copied there and a result brought home can be checked file
 * by file. A manifest maps "./relative/path" to its hex digest; a single file is "./<its name>".
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { sq } from './clusterShell';

export type Manifest = Map<string, string>;

/** Files under `root` (links followed), as "./a/b" paths sorted bytewise. */
export function filesUnder(root: string): string[] {
  const st = fs.statSync(root);
  if (st.isFile()) return [`./${path.basename(root)}`];
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      const s = fs.statSync(full, { throwIfNoEntry: false });
      if (!s) continue;
      if (s.isDirectory()) walk(full, `${rel}/${name}`);
      else if (s.isFile()) out.push(`${rel}/${name}`);
    }
  };
  walk(root, '.');
  return out.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Digests by file identity: a model is hashed once per process, not once per job. */
const digestCache = new Map<string, { size: number; mtimeMs: number; ino: number; sha: string }>();

export function cachedSha256(file: string): string {
  const st = fs.statSync(file);
  const hit = digestCache.get(file);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ino === st.ino) return hit.sha;
  const sha = sha256File(file);
  digestCache.set(file, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha });
  return sha;
}

export function localManifest(root: string): Manifest {
  const st = fs.statSync(root, { throwIfNoEntry: false });
  if (!st) throw new WorkbenchError('INPUT_MISSING', `${root} does not exist.`, 'Check the path of the job\'s input.');
  const base = st.isFile() ? path.dirname(root) : root;
  return new Map(filesUnder(root).map((rel) => [rel, cachedSha256(path.join(base, rel))]));
}

/** A bash command printing sha256sum lines for a file or every file under a folder (links followed); nothing when absent. */
export function remoteManifestCommand(root: string): string {
  const r = sq(root);
  return `if [ -d ${r} ]; then (cd ${r} && find -L . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); elif [ -f ${r} ]; then (cd "$(dirname ${r})" && sha256sum "./$(basename ${r})"); fi`;
}

/** sha256sum's lines ("<hex>  ./path", or " *./path" in binary mode) as a manifest. */
export function parseManifest(text: string): Manifest {
  const m: Manifest = new Map();
  for (const line of text.split('\n')) {
    const hit = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (hit) m.set(hit[2], hit[1]);
  }
  return m;
}

/** The first difference between two manifests, in words; null when equal. */
export function manifestDifference(expected: Manifest, actual: Manifest): string | null {
  for (const [file, sha] of expected) {
    const got = actual.get(file);
    if (got === undefined) return `${file} is missing`;
    if (got !== sha) return `${file} has sha256 ${got.slice(0, 16)}…, expected ${sha.slice(0, 16)}…`;
  }
  for (const file of actual.keys()) if (!expected.has(file)) return `${file} is not expected`;
  return null;
}

export function formatManifest(m: Manifest, prefix = ''): string {
  return [...m].map(([file, sha]) => `${sha}  ${prefix}${file.replace(/^\.\//, '')}`).join('\n') + (m.size ? '\n' : '');
}
