import path from 'node:path';
import type { LibraryItem, LibraryListing } from '../../preload/api';
import { openDatabase } from '../db/connection';
import { WorkbenchError } from '../errors';
import { prepareHome } from '../home';
import { resolveCacheDir } from '../hub/hubConfig';
import { finiteCheckCacheDir, useFiniteCheckCache } from '../formats/finiteValues';
import { LibraryCatalog } from '../library/libraryCatalog';
import { addLocalRoot, scanEverything } from '../library/scanLibrary';
import type { CliCommand, CliContext } from './command';

function withCatalog<T>(home: string, fn: (catalog: LibraryCatalog) => T): T {
  prepareHome(home);
  useFiniteCheckCache(finiteCheckCacheDir(home));
  const db = openDatabase(home);
  try {
    return fn(new LibraryCatalog(db));
  } finally {
    db.close();
  }
}

export const libraryCommand: CliCommand = {
  name: 'library',
  summary: 'List the models, SAEs, datasets and result files in the HF cache and added folders.',
  usage: [
    'sae-workbench library [list] [--json] [--cached]   rescan, then list (--cached: the stored catalog, no scan)',
    'sae-workbench library add <path> [--json]          add an SAE / model folder, a dataset or result file',
    'sae-workbench library remove <path>',
    'sae-workbench library link <sae-folder> <model-folder>   link an SAE to its model by hand (kept across scans)',
    'sae-workbench library unlink <sae-folder>               forget a link made by hand',
  ].join('\n       '),
  options: { json: { type: 'boolean' }, cached: { type: 'boolean' } },
  async run({ values, positionals }, ctx) {
    const [sub = 'list', arg] = positionals;
    switch (sub) {
      case 'list': {
        const listing = withCatalog(ctx.home, (catalog) => {
          if (!values.cached) scanEverything(catalog, resolveCacheDir());
          return catalog.listing();
        });
        if (values.json) ctx.stdout(JSON.stringify(listing, null, 2));
        else printListing(listing, ctx);
        return 0;
      }
      case 'add': {
        if (!arg) throw new WorkbenchError('BAD_ARGUMENT', 'library add needs a path.', 'Example: sae-workbench library add ./my_sae_L3_hook_resid_post');
        const added = withCatalog(ctx.home, (catalog) => addLocalRoot(catalog, arg));
        if (values.json) ctx.stdout(JSON.stringify(added, null, 2));
        else {
          ctx.stdout(`Added ${added.root.path}: ${added.items.length} item(s).`);
          added.items.forEach((i) => ctx.stdout(`  ${describeItem(i)}${i.problems.length ? `  PROBLEMS: ${i.problems.join('; ')}` : ''}`));
          added.problems.forEach((p) => ctx.stdout(`  Skipped: ${p}`));
        }
        return 0;
      }
      case 'remove': {
        if (!arg) throw new WorkbenchError('BAD_ARGUMENT', 'library remove needs a path.', 'See `sae-workbench library list` for the added folders.');
        const removed = withCatalog(ctx.home, (catalog) => catalog.removeRoot(absolutePath(arg)));
        if (!removed) throw new WorkbenchError('ROOT_NOT_FOUND', `${absolutePath(arg)} is not a folder added to the Library.`, 'See `sae-workbench library list` for the added folders.');
        ctx.stdout(`Removed ${absolutePath(arg)}.`);
        return 0;
      }
      case 'link':
      case 'unlink': {
        const model = positionals[2];
        if (!arg || (sub === 'link' && !model)) throw new WorkbenchError('BAD_ARGUMENT', `library ${sub} needs ${sub === 'link' ? 'an SAE folder and a model folder' : 'an SAE folder'}.`, `Usage: ${libraryCommand.usage}`);
        const sae = withCatalog(ctx.home, (catalog) => catalog.linkSae(absolutePath(arg), sub === 'link' ? absolutePath(model) : null));
        if (values.json) ctx.stdout(JSON.stringify(sae, null, 2));
        else ctx.stdout(`${sae.identity.label}: ${sae.sae!.link.modelLabel ? `model ${sae.sae!.link.modelLabel}, ` : ''}${sae.sae!.link.reason}.`);
        return 0;
      }
      default:
        throw new WorkbenchError('BAD_ARGUMENT', `Unknown library subcommand "${sub}".`, `Usage: ${libraryCommand.usage}`);
    }
  },
};

function absolutePath(p: string): string {
  return path.resolve(p);
}

function describeItem(i: LibraryItem): string {
  const where = i.identity.bundle ? `${i.identity.bundle.label}: ${i.identity.bundle.root}` : i.source.type === 'hub' ? `${i.source.repoId}${i.source.pathInRepo ? `/${i.source.pathInRepo}` : ''}` : i.path;
  const name = i.identity.label;
  switch (i.kind) {
    case 'model': {
      const m = i.model!;
      return `model    ${name}  ${m.architecture ?? '?'}  layers=${m.nLayers ?? '?'} d_model=${m.dModel ?? '?'} params=${m.params ?? '?'}  [${where}]`;
    }
    case 'sae': {
      const s = i.sae!;
      return `sae      ${name}  ${s.architecture ?? '?'} d_in=${s.dIn ?? '?'} d_sae=${s.dSae ?? '?'}${s.k != null ? ` k=${s.k}` : ''} hook=${s.hookName ?? '?'} model=${s.groupModel} (${s.link.reason})  [${where}]`;
    }
    case 'crosscoder': {
      const c = i.crosscoder;
      return `crosscoder ${name}  d_in=${c?.dIn ?? '?'} d_sae=${c?.dSae ?? '?'} k=${c?.k ?? '?'} A=${c?.linkA.modelLabel ?? c?.modelNameA ?? '?'} @ ${c?.hookNameA ?? '?'} (${c?.linkA.reason ?? '?'}) B=${c?.linkB.modelLabel ?? c?.modelNameB ?? '?'} @ ${c?.hookNameB ?? '?'} (${c?.linkB.reason ?? '?'})  [${where}]`;
    }
    case 'dataset':
      return `dataset  ${name}  ${i.dataset!.formats.join(',')}  ${i.dataset!.dataFiles.length} file(s), ${i.dataset!.rows ?? '?'} rows  [${where}]`;
    case 'result':
      return `result   ${name}  ${i.result!.shape}  [${where}]`;
  }
}

function printListing(listing: LibraryListing, ctx: CliContext): void {
  ctx.stdout(`HF cache: ${listing.hubCacheDir || '(not scanned)'}`);
  listing.roots.forEach((r) => ctx.stdout(`Folder:   ${r.path}`));
  if (listing.items.length === 0) {
    ctx.stdout('Nothing found. Download with the app (Library > Add from Hub) or add a folder: sae-workbench library add <path>');
    return;
  }
  const order = ['model', 'sae', 'crosscoder', 'dataset', 'result'];
  const sorted = [...listing.items].sort(
    (a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || (a.sae?.groupModel ?? '').localeCompare(b.sae?.groupModel ?? '') || (a.sae?.layer ?? 0) - (b.sae?.layer ?? 0) || a.identity.label.localeCompare(b.identity.label),
  );
  sorted.forEach((i) => ctx.stdout(`${describeItem(i)}${i.problems.length ? `  PROBLEMS: ${i.problems.join('; ')}` : ''}`));
}
