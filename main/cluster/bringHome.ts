/**
 * A finished remote job's outputs, brought into this home: its run folder (artifacts, metrics,
 * logs; not its checkpoints), the index files it built, and the output folders its params named.
 * The cluster lists them with their sha256; they are copied into a staging folder here (rsync for
 * `ssh` targets, a copy otherwise), every file is checked against its digest, and only then are
 * they moved into place, so a result that fails its checksum leaves nothing half-registered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { runDir } from '../home';
import type { ClusterShell } from './clusterShell';
import { sq } from './clusterShell';
import { fromCluster, mapPaths, type ClusterPaths } from './clusterPaths';
import { relocateIndexFile } from '../index/relocateIndex';
import { cachedSha256, formatManifest, parseManifest, type Manifest } from './fileManifest';

export const RESULTS_MANIFEST = 'results.sha256';

export interface BroughtHome {
  files: number;
  bytes: number;
  /** Index files placed in <home>/index (to register). */
  indexFiles: string[];
}

/** The files to bring home, relative to the node's home, with their digests (sha256sum on the cluster). */
async function remoteResults(shell: ClusterShell, paths: ClusterPaths, jobId: string): Promise<Manifest> {
  const script = [
    `cd ${sq(paths.remoteHome)} || exit 3`,
    `for d in ${sq(`runs/${jobId}`)} index outputs; do [ -d "$d" ] && find "$d" -type f ! -name 'checkpoint*' ! -name '*.tmp-*' ! -name '*-shm' -print0; done | LC_ALL=C sort -z | xargs -0 -r sha256sum`,
  ].join('\n');
  const res = await shell.run(script, { timeoutMs: 3600_000 });
  if (res.code !== 0) throw new WorkbenchError('CLUSTER_RESULTS_UNREADABLE', `The results of job ${jobId} in ${paths.remoteHome} on ${shell.reached} cannot be listed (exit ${res.code}): ${res.stderr.trim().split('\n').slice(-2).join(' / ')}`, 'Check that the job folder is still there; the job can be retried.');
  return parseManifest(res.stdout);
}

/** Where a file of the node's home goes here; null: not brought into place (a corpus this home has already). */
function destination(rel: string, home: string, jobId: string, paths: ClusterPaths): string {
  const clean = rel.replace(/^\.\//, '');
  if (clean.startsWith(`runs/${jobId}/`)) return path.join(runDir(home, jobId), clean.slice(`runs/${jobId}/`.length));
  if (clean.startsWith('index/')) return path.join(home, clean);
  const out = /^outputs\/(\d+)\/(.+)$/.exec(clean);
  if (out && paths.outputs[Number(out[1])]) return path.join(paths.outputs[Number(out[1])][0], out[2]);
  throw new WorkbenchError('CLUSTER_RESULT_UNEXPECTED', `The job's results hold ${clean}, which has no place here.`, 'This is a bug; the files stay on the cluster in the job folder.');
}

export async function bringHome(shell: ClusterShell, opts: { home: string; jobId: string; paths: ClusterPaths; overwrite: boolean }): Promise<BroughtHome> {
  const { home, jobId, paths } = opts;
  const expected = await remoteResults(shell, paths, jobId);
  const staging = path.join(home, 'cluster-staging', jobId);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  try {
    const files = [...expected.keys()];
    if (files.length > 0) await shell.downloadFiles(paths.remoteHome, files, staging);
    // Every file checked before any is moved into place.
    let bytes = 0;
    for (const [rel, sha] of expected) {
      const file = path.join(staging, rel);
      if (!fs.existsSync(file)) throw new WorkbenchError('CLUSTER_RESULT_MISSING', `${rel} of job ${jobId} did not arrive from ${shell.reached}.`, 'Retry the job (its results stay on the cluster), or copy them by hand from the job folder.');
      const got = cachedSha256(file);
      if (got !== sha) {
        throw new WorkbenchError('CLUSTER_CHECKSUM', `${rel} of job ${jobId} failed its checksum on the way home from ${shell.reached}: sha256 ${got.slice(0, 16)}…, the cluster has ${sha.slice(0, 16)}….`, 'Nothing was registered. Retry the job to bring the results home again; if it repeats, check the cluster\'s storage.');
      }
      bytes += fs.statSync(file).size;
    }
    // An index names its inputs: where they are here, not where the cluster had them (copies, its home).
    const back = fromCluster(paths, home);
    for (const rel of files) if (/^(\.\/)?index\/ix-[0-9a-f]+\.sqlite$/.test(rel)) relocateIndexFile(path.join(staging, rel), (v) => mapPaths(v, back));
    const plan = files.map((rel) => ({ rel, from: path.join(staging, rel), to: destination(rel, home, jobId, paths) }));
    for (const p of plan) {
      const exists = fs.existsSync(p.to);
      if (!exists) continue;
      if (p.rel.includes('/corpora/')) continue;
      if (p.to.startsWith(`${runDir(home, jobId)}${path.sep}`)) continue;
      if (p.rel.startsWith('./index/') || p.rel.startsWith('index/')) throw new WorkbenchError('OUTPUT_EXISTS', `${p.to} exists already here; the index the job built has the same id.`, 'Remove that index (sae-workbench index remove <id>) and retry the job.');
      if (!opts.overwrite) throw new WorkbenchError('OUTPUT_EXISTS', `${p.to} exists already: the job's output was not brought home over it.`, 'Move it away, or queue the job with overwrite, then retry it (its results stay on the cluster).');
    }
    const indexFiles: string[] = [];
    for (const p of plan) {
      // A corpus (token store) this home holds already is the same documents tokenized the same way: keep it.
      if (p.rel.includes('/corpora/') && fs.existsSync(p.to)) continue;
      fs.mkdirSync(path.dirname(p.to), { recursive: true });
      fs.renameSync(p.from, p.to);
      if (/^(\.\/)?index\/ix-[0-9a-f]+\.sqlite$/.test(p.rel)) indexFiles.push(p.to);
    }
    fs.mkdirSync(runDir(home, jobId), { recursive: true });
    fs.writeFileSync(path.join(runDir(home, jobId), RESULTS_MANIFEST), formatManifest(expected));
    return { files: files.length, bytes, indexFiles };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new WorkbenchError('DISK_FULL', `No space left here bringing job ${jobId}'s results home.`, 'Free space, then retry the job: its results stay on the cluster.', { cause: err });
    throw err;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
