import fs from 'node:fs';
import path from 'node:path';
import type { LibraryItem } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { listCachedSnapshots } from './hubCacheRepos';
import { HUB_ORIGIN, localOrigin, type LibraryCatalog } from './libraryCatalog';
import { recognizeTree } from './recognizeItems';

/** Everything the Library can use in the HF cache: one recognition pass per chosen snapshot. */
export function scanHubCache(cacheDir: string, now = Date.now()): LibraryItem[] {
  const items: LibraryItem[] = [];
  for (const snap of listCachedSnapshots(cacheDir)) {
    items.push(
      ...recognizeTree(snap.dir, {
        origin: HUB_ORIGIN,
        now,
        datasetRepo: snap.repoType === 'dataset' ? { name: snap.repoId } : undefined,
        source: (rel) => ({ type: 'hub', repoType: snap.repoType, repoId: snap.repoId, commit: snap.commit, refs: snap.refs, pathInRepo: rel }),
      }),
    );
  }
  return items;
}

export function scanLocalRoot(root: string, now = Date.now()): LibraryItem[] {
  return recognizeTree(root, { origin: localOrigin(root), now, source: () => ({ type: 'local', root }) });
}

export interface ScanSummary {
  hubCacheDir: string;
  hubItems: number;
  roots: { path: string; items: number; missing: boolean }[];
  total: number;
}

/** Rescan the HF cache and every added folder into the catalog. `onStep` reports i of n. */
export function scanEverything(catalog: LibraryCatalog, hubCacheDir: string, onStep?: (done: number, total: number, what: string) => void, shouldStop?: () => void): ScanSummary {
  const roots = catalog.roots();
  const total = roots.length + 1;
  onStep?.(0, total, hubCacheDir);
  const hubItems = scanHubCache(hubCacheDir);
  catalog.replaceOrigin(HUB_ORIGIN, hubCacheDir, hubItems);
  const summary: ScanSummary = { hubCacheDir, hubItems: hubItems.length, roots: [], total: hubItems.length };
  roots.forEach((r, i) => {
    shouldStop?.();
    onStep?.(i + 1, total, r.path);
    const missing = !fs.existsSync(r.path);
    const items = missing ? [] : scanLocalRoot(r.path);
    catalog.replaceOrigin(localOrigin(r.path), r.path, items);
    summary.roots.push({ path: r.path, items: items.length, missing });
    summary.total += items.length;
  });
  onStep?.(total, total, 'done');
  return summary;
}

/** Validate a folder or file the user points at, recognise what it holds, and store it as a root. */
export function addLocalRoot(catalog: LibraryCatalog, input: string): { root: ReturnType<LibraryCatalog['addRoot']>; items: LibraryItem[] } {
  const root = path.resolve(input);
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new WorkbenchError('PATH_NOT_FOUND', `${root} does not exist or cannot be read.`, 'Check the path: give the folder of an SAE (cfg.json + sae_weights.safetensors), of a model (config.json + weights), a dataset file, or a JSON result file.');
  }
  if (!st.isDirectory() && !st.isFile()) throw new WorkbenchError('PATH_NOT_SUPPORTED', `${root} is neither a file nor a folder.`, 'Give a folder or a regular file.');
  const items = scanLocalRoot(root);
  if (items.length === 0) {
    throw new WorkbenchError(
      'NOTHING_RECOGNISED',
      `Nothing usable was found in ${root}.`,
      'The Library recognises sae_lens SAE folders (cfg.json + sae_weights.safetensors), model folders (config.json + *.safetensors), dataset files (.parquet, .jsonl, .txt, or a JSON list of texts) and JSON result files.',
    );
  }
  const added = catalog.addRoot(root);
  catalog.replaceOrigin(localOrigin(root), root, items);
  // By path: a folder already listed through an earlier root is one item, not two.
  const paths = new Set(items.map((i) => i.path));
  return { root: added, items: catalog.items().filter((i) => paths.has(i.path)) };
}
