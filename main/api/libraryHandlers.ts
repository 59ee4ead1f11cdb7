import fs from 'node:fs';
import path from 'node:path';
import type { JobView, LibraryItem } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { jsonNestingDepth } from '../formats/jsonDepth';
import { readTextFile } from '../formats/openedFile';
import { LibraryCatalog } from '../library/libraryCatalog';
import { DEMO_JOB_KIND } from '../demo/demoJob';
import { LIBRARY_SCAN_KIND } from '../library/scanJob';
import { addLocalRoot, storeLocalRoot, type RecognizedRoot } from '../library/scanLibrary';
import type { HandlerTable } from './handlers';
import type { CoreServices } from './services';

type LibraryMethods = 'library.list' | 'library.scan' | 'library.addFolder' | 'library.removeFolder' | 'library.linkSae' | 'library.readArtifact';

/** Result files above this are not sent to the viewer whole. */
const MAX_ARTIFACT_BYTES = 32 * 1024 * 1024;
/** Arrays and objects within arrays and objects: results nest a few levels; the transport and viewers recurse. */
export const MAX_ARTIFACT_DEPTH = 256;

export const libraryHandlers: HandlerTable<LibraryMethods> = {
  'library.list': (_p, s) => new LibraryCatalog(s.db).listing(),
  'library.scan': (_p, s) => queueLibraryScan(s),
  'library.addFolder': async ({ path: input }, s) => {
    // The walk (links, loops, weight checks) runs in the interactive worker; storing it here is quick.
    // Resolved here: the worker's working directory is the app's, not the one the core was started in.
    const recognized = await s.interactive.request<RecognizedRoot>('library.recognize', { path: path.resolve(input) });
    const catalog = new LibraryCatalog(s.db);
    const added = storeLocalRoot(catalog, recognized);
    s.events.emit('library.changed', { reason: 'added', itemCount: catalog.items().length });
    return added;
  },
  'library.removeFolder': ({ path: input }, s) => {
    const catalog = new LibraryCatalog(s.db);
    const root = path.resolve(input);
    if (!catalog.removeRoot(root)) {
      throw new WorkbenchError('ROOT_NOT_FOUND', `${root} is not a folder added to the Library.`, `Added folders: ${catalog.roots().map((r) => r.path).join(', ') || '(none)'}.`);
    }
    s.events.emit('library.changed', { reason: 'removed', itemCount: catalog.items().length });
    return { removed: true as const };
  },
  'library.linkSae': ({ saePath, modelPath }, s) => {
    const catalog = new LibraryCatalog(s.db);
    const sae = catalog.linkSae(path.resolve(saePath), modelPath === null ? null : path.resolve(modelPath));
    s.events.emit('library.changed', { reason: 'linked', itemCount: catalog.items().length });
    return sae;
  },
  'library.readArtifact': ({ id }, s) => readLibraryArtifact(s, id),
};

/** A result file of the Library, parsed (for the table viewer and the Compare page's overlay). */
export function readLibraryArtifact(s: CoreServices, id: string): { item: LibraryItem; content: unknown } {
  const item = new LibraryCatalog(s.db).item(id);
  if (!item) throw new WorkbenchError('ITEM_NOT_FOUND', `There is no Library item ${id}.`, 'The Library may have been rescanned since; reload the list.');
  if (item.kind !== 'result') throw new WorkbenchError('NOT_AN_ARTIFACT', `${item.path} is a ${item.kind}, not a JSON result file.`, 'Open a file listed under Results.');
  if (!fs.existsSync(item.path)) throw new WorkbenchError('FILE_NOT_FOUND', `${item.path} no longer exists.`, 'Rescan the Library, or download the file again.');
  // Through the one open path: a FIFO put in place of a result file is refused, not read forever.
  let text: string;
  try {
    text = readTextFile(item.path, MAX_ARTIFACT_BYTES);
  } catch (err) {
    if ((err as WorkbenchError).code !== 'FILE_TOO_LARGE') throw err;
    throw new WorkbenchError('ARTIFACT_TOO_LARGE', `${item.path} is over the viewer's ${MAX_ARTIFACT_BYTES}-byte limit.`, 'Open it with a dedicated JSON tool.');
  }
  const depth = jsonNestingDepth(text, MAX_ARTIFACT_DEPTH);
  if (depth > MAX_ARTIFACT_DEPTH) {
    throw new WorkbenchError('ARTIFACT_TOO_DEEP', `${item.path} nests arrays and objects more than ${MAX_ARTIFACT_DEPTH} levels deep, more than the viewer reads.`, 'Open it with a dedicated JSON tool.');
  }
  try {
    return { item, content: JSON.parse(text) as unknown };
  } catch (err) {
    throw new WorkbenchError('ARTIFACT_INVALID_JSON', `${item.path} is not valid JSON: ${(err as Error).message}.`, 'The file may be truncated: download it again.');
  }
}

/** One scan at a time: a scan already queued or running answers for a new request. */
export function queueLibraryScan(s: CoreServices): JobView {
  const pending = s.jobStore.list().find((j) => j.kind === LIBRARY_SCAN_KIND && (j.state === 'queued' || j.state === 'running'));
  return pending ?? s.jobs.add(LIBRARY_SCAN_KIND, {}, 10);
}

/**
 * Folders the app itself fills (the demo bundle, trained SAEs) are listed like any added folder,
 * so their models and SAEs are usable everywhere. Inside the data directory they are recognised
 * right here, unlike a folder the user adds: the app wrote these few files itself, and the Library
 * then has them before the job's completion reaches any client. An output folder the user chose
 * elsewhere (a training run's --out) may hold anything, so it is walked in the interactive worker.
 */
export function addGeneratedRoot(s: CoreServices, root: string | undefined, what: string): void {
  if (!root) return;
  const resolved = path.resolve(root);
  if (new LibraryCatalog(s.db).roots().some((r) => r.path === resolved)) return;
  const failed = (err: unknown) => s.log.log('warn', 'library', `could not add ${what} ${resolved}`, { error: String(err) });
  const stored = (catalog: LibraryCatalog) => s.events.emit('library.changed', { reason: 'added', itemCount: catalog.items().length });
  const inHome = path.relative(path.resolve(s.home), resolved);
  if (inHome && !inHome.startsWith('..') && !path.isAbsolute(inHome)) {
    try {
      const catalog = new LibraryCatalog(s.db);
      addLocalRoot(catalog, resolved);
      stored(catalog);
    } catch (err) {
      failed(err);
    }
    return;
  }
  s.interactive.request<RecognizedRoot>('library.recognize', { path: resolved }).then((recognized) => {
    const catalog = new LibraryCatalog(s.db);
    storeLocalRoot(catalog, recognized);
    stored(catalog);
  }, failed);
}

/**
 * Keep the Library in step with the rest of the core: announce `library.changed` when a scan
 * completes, and rescan when the hub puts files into the cache.
 */
export function watchLibrary(s: CoreServices): () => void {
  return s.events.subscribe((event, payload) => {
    if (event === 'job.updated') {
      const job = payload as JobView;
      if (job.kind === LIBRARY_SCAN_KIND && job.state === 'completed') {
        s.events.emit('library.changed', { reason: 'scan', itemCount: new LibraryCatalog(s.db).items().length });
      } else if (job.kind === DEMO_JOB_KIND && job.state === 'completed') {
        addGeneratedRoot(s, (job.result as { root?: string } | null)?.root, 'the demo bundle');
      }
    } else if (event === 'hub.cacheChanged') {
      queueLibraryScan(s);
    }
  });
}
