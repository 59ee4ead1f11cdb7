/**
 * Paths as this machine names them and as the cluster does: the job's inputs (the same path on
 * shared storage, or a copy in the work folder), the output folders its params name, and the
 * node's home in the job folder. Kept in runs/<job-id>/cluster.json here, so results that come
 * home (and the paths inside them) are written back in this machine's terms, even after a restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { writeFileAtomic } from './jobFolder';

export interface ClusterPaths {
  format: 1;
  target: string;
  jobDir: string;
  /** The node's --home: <jobDir>/home. */
  remoteHome: string;
  /** [here, there] for every input; equal where the cluster sees the same file. */
  inputs: [string, string][];
  /** [here, there] for every output folder the params name (there: <remoteHome>/outputs/<n>). */
  outputs: [string, string][];
  /** sha256 of what was copied to the cluster ("<hex>  <path there>" lines), when anything was. */
  copiedChecksums: string;
}

export const CLUSTER_PATHS_FILE = 'cluster.json';

export function writeClusterPaths(runDir: string, paths: ClusterPaths): void {
  fs.mkdirSync(runDir, { recursive: true });
  writeFileAtomic(path.join(runDir, CLUSTER_PATHS_FILE), `${JSON.stringify(paths, null, 2)}\n`);
}

export function readClusterPaths(runDir: string): ClusterPaths {
  const file = path.join(runDir, CLUSTER_PATHS_FILE);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ClusterPaths;
  } catch (err) {
    throw new WorkbenchError('CLUSTER_PATHS_MISSING', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): where the job's files are on the cluster is not known.`, 'Retry the job: it is submitted again from the start.', { cause: err });
  }
}

/** Replace path prefixes in every string of a JSON value (longest prefix first); other strings stay. */
export function mapPaths<T>(value: T, pairs: [string, string][]): T {
  const sorted = [...pairs].filter(([a, b]) => a !== b).sort((x, y) => y[0].length - x[0].length);
  if (sorted.length === 0) return value;
  const mapOne = (s: string): string => {
    for (const [from, to] of sorted) {
      if (s === from) return to;
      if (s.startsWith(`${from}/`)) return to + s.slice(from.length);
    }
    return s;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return mapOne(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** Here -> there, for the params the node runs. */
export function toCluster(paths: Pick<ClusterPaths, 'inputs' | 'outputs'>): [string, string][] {
  return [...paths.inputs, ...paths.outputs];
}

/** There -> here, for what comes back (results, registries): outputs, inputs, then the node's home as this home. */
export function fromCluster(paths: ClusterPaths, home: string): [string, string][] {
  return [...paths.outputs.map(([h, t]) => [t, h] as [string, string]), ...paths.inputs.map(([h, t]) => [t, h] as [string, string]), [paths.remoteHome, home]];
}
