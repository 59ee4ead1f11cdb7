import fs from 'node:fs';
import path from 'node:path';
import type { LibraryItem } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { listCachedSnapshots } from './hubCacheRepos';
import { HUB_ORIGIN, localOrigin, type LibraryCatalog } from './libraryCatalog';
import { recognizeTree } from './recognizeItems';

/** Everything the Library can use in the HF cache: one recognition pass per chosen snapshot. */
export function scanHubCache(cacheDir: string, now = Date.now(), problems: string[] = []): LibraryItem[] {
  const items: LibraryItem[] = [];
  for (const snap of listCachedSnapshots(cacheDir)) {
    items.push(
      ...recognizeTree(
        snap.dir,
        {
          origin: HUB_ORIGIN,
          now,
          datasetRepo: snap.repoType === 'dataset' ? { name: snap.repoId } : undefined,
          source: (rel) => ({ type: 'hub', repoType: snap.repoType, repoId: snap.repoId, commit: snap.commit, refs: snap.refs, pathInRepo: rel }),
        },
        problems,
      ),
    );
  }
  return items;
}

/** `problems` receives what the walk skipped outside any item (symlink loops, the entry budget). */
export function scanLocalRoot(root: string, now = Date.now(), problems: string[] = []): LibraryItem[] {
  return recognizeTree(root, { origin: localOrigin(root), now, source: () => ({ type: 'local', root }) }, problems);
}

export interface ScanSummary {
  hubCacheDir: string;
  hubItems: number;
  /** Skipped paths outside any item (loops, unreadable folders), for the job log. */
  hubProblems: string[];
  roots: { path: string; items: number; missing: boolean; problems: string[] }[];
  total: number;
}

/** Rescan the HF cache and every added folder into the catalog. `onStep` reports i of n. */
export function scanEverything(catalog: LibraryCatalog, hubCacheDir: string, onStep?: (done: number, total: number, what: string) => void, shouldStop?: () => void): ScanSummary {
  const roots = catalog.roots();
  const total = roots.length + 1;
  onStep?.(0, total, hubCacheDir);
  const hubProblems: string[] = [];
  const hubItems = scanHubCache(hubCacheDir, Date.now(), hubProblems);
  catalog.replaceOrigin(HUB_ORIGIN, hubCacheDir, hubItems);
  const summary: ScanSummary = { hubCacheDir, hubItems: hubItems.length, hubProblems, roots: [], total: hubItems.length };
  roots.forEach((r, i) => {
    shouldStop?.();
    onStep?.(i + 1, total, r.path);
    const missing = !fs.existsSync(r.path);
    const problems: string[] = [];
    const items = missing ? [] : scanLocalRoot(r.path, Date.now(), problems);
    catalog.replaceOrigin(localOrigin(r.path), r.path, items);
    summary.roots.push({ path: r.path, items: items.length, missing, problems });
    summary.total += items.length;
  });
  onStep?.(total, total, 'done');
  return summary;
}

export interface RecognizedRoot {
  root: string;
  items: LibraryItem[];
  /** What the walk skipped outside any item (symlink loops, unreadable folders). */
  problems: string[];
}

/**
 * Validate a folder or file the user points at and recognise what it holds, without touching
 * the catalog: the walking part of adding a folder (run in the interactive worker by the core).
 */
export function recognizeLocalRoot(input: string): RecognizedRoot {
  const root = path.resolve(input);
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new WorkbenchError('PATH_NOT_FOUND', `${root} does not exist or cannot be read.`, 'Check the path: give the folder of an SAE (cfg.json + sae_weights.safetensors), of a model (config.json + weights), a dataset file, or a JSON result file.');
  }
  if (!st.isDirectory() && !st.isFile()) throw new WorkbenchError('PATH_NOT_SUPPORTED', `${root} is neither a file nor a folder.`, 'Give a folder or a regular file.');
  const problems: string[] = [];
  const items = scanLocalRoot(root, Date.now(), problems);
  if (items.length === 0) {
    throw new WorkbenchError(
      'NOTHING_RECOGNISED',
      `Nothing usable was found in ${root}${problems.length ? ` (${problems.join('; ')})` : ''}.`,
      'The Library recognises sae_lens SAE folders (cfg.json + sae_weights.safetensors), model folders (config.json + *.safetensors), dataset files (.parquet, .jsonl, .txt, or a JSON list of texts) and JSON result files.',
    );
  }
  return { root, items, problems };
}

/** Store a recognised folder as a Library root (quick: catalog rows only). */
export function storeLocalRoot(catalog: LibraryCatalog, recognized: RecognizedRoot): { root: ReturnType<LibraryCatalog['addRoot']>; items: LibraryItem[]; problems: string[] } {
  const added = catalog.addRoot(recognized.root);
  catalog.replaceOrigin(localOrigin(recognized.root), recognized.root, recognized.items);
  // By path: a folder already listed through an earlier root is one item, not two.
  const paths = new Set(recognized.items.map((i) => i.path));
  return { root: added, items: catalog.items().filter((i) => paths.has(i.path)), problems: recognized.problems };
}

/** Validate, recognise and store in one go (the CLI, which has no event loop to protect). */
export function addLocalRoot(catalog: LibraryCatalog, input: string): ReturnType<typeof storeLocalRoot> {
  return storeLocalRoot(catalog, recognizeLocalRoot(input));
}
