import type { LibraryItem, LibraryListing, LibraryRoot } from '../../preload/api';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';
import { withIdentities } from './identity';
import { linkSaesToModels } from './linkSaesToModels';

/** Origin of items found in the HF cache; folders the user added are "local:<path>". */
export const HUB_ORIGIN = 'hub';

export function localOrigin(root: string): string {
  return `local:${root}`;
}

/**
 * The stored Library: items per origin, replaced whole by each scan of that origin inside one
 * transaction, so readers never see half a scan.
 */
export class LibraryCatalog {
  constructor(private readonly db: Db) {}

  replaceOrigin(origin: string, location: string, items: LibraryItem[], scannedAt = Date.now()): void {
    const del = this.db.prepare('DELETE FROM library_items WHERE origin = ?');
    const ins = this.db.prepare('INSERT OR REPLACE INTO library_items (id, origin, kind, name, path, item) VALUES (?, ?, ?, ?, ?, ?)');
    const scan = this.db.prepare(
      'INSERT INTO library_scans (origin, location, scanned_at) VALUES (?, ?, ?) ON CONFLICT(origin) DO UPDATE SET location = excluded.location, scanned_at = excluded.scanned_at',
    );
    this.db.transaction(() => {
      del.run(origin);
      for (const item of items) ins.run(item.id, origin, item.kind, item.name, item.path, JSON.stringify(item));
      scan.run(origin, location, scannedAt);
    })();
  }

  removeOrigin(origin: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM library_items WHERE origin = ?').run(origin);
      this.db.prepare('DELETE FROM library_scans WHERE origin = ?').run(origin);
    })();
  }

  /**
   * Every item once, with its identity and, for SAEs, the model it is linked to. Origins are read
   * HF cache first, then added folders in the order they were added. `extra` items (the demo
   * bundle before it is added) join the same derivation.
   */
  items(extra: LibraryItem[] = []): LibraryItem[] {
    const rows = this.db
      .prepare("SELECT i.item FROM library_items i LEFT JOIN library_roots r ON i.origin = 'local:' || r.path ORDER BY i.origin != ?, r.added_at, i.kind, i.name, i.path")
      .all(HUB_ORIGIN) as { item: string }[];
    const stored = rows.map((r) => JSON.parse(r.item) as LibraryItem);
    const identified = withIdentities([...stored, ...extra], { rootOrder: this.roots().map((r) => r.path) });
    return linkSaesToModels(identified, this.manualLinks()).sort((a, b) => a.kind.localeCompare(b.kind) || a.identity.label.localeCompare(b.identity.label) || a.path.localeCompare(b.path));
  }

  manualLinks(): Map<string, string> {
    const rows = this.db.prepare('SELECT sae_path, model_path FROM library_sae_links').all() as { sae_path: string; model_path: string }[];
    return new Map(rows.map((r) => [r.sae_path, r.model_path]));
  }

  /**
   * Link an SAE to a model by hand (or, with null, forget the hand-made link), kept across scans.
   * Refused when the widths differ: such a pair can never run.
   */
  linkSae(saePath: string, modelPath: string | null, now = Date.now()): LibraryItem {
    const items = this.items();
    const sae = items.find((i) => i.kind === 'sae' && i.path === saePath);
    if (!sae) throw new WorkbenchError('SAE_NOT_IN_LIBRARY', `${saePath} is not an SAE in the Library.`, 'Add its folder to the Library first (library add <folder>), then link it.');
    if (modelPath === null) {
      this.db.prepare('DELETE FROM library_sae_links WHERE sae_path = ?').run(saePath);
    } else {
      const model = items.find((i) => i.kind === 'model' && i.path === modelPath);
      if (!model) throw new WorkbenchError('MODEL_NOT_IN_LIBRARY', `${modelPath} is not a model in the Library.`, 'Add the model folder to the Library first, then link the SAE to it.');
      const dIn = sae.sae?.dIn;
      const dModel = model.model?.dModel;
      if (dIn != null && dModel != null && dIn !== dModel) {
        throw new WorkbenchError('SAE_LINK_WIDTH', `${sae.identity.label} reads ${dIn}-wide activations but ${model.identity.label} has d_model ${dModel}.`, 'An SAE can only be linked to a model of its width (d_in = d_model).');
      }
      this.db
        .prepare('INSERT INTO library_sae_links (sae_path, model_path, linked_at) VALUES (?, ?, ?) ON CONFLICT(sae_path) DO UPDATE SET model_path = excluded.model_path, linked_at = excluded.linked_at')
        .run(saePath, modelPath, now);
    }
    return this.items().find((i) => i.kind === 'sae' && i.path === saePath)!;
  }

  item(id: string): LibraryItem | null {
    return this.items().find((i) => i.id === id) ?? null;
  }

  roots(): LibraryRoot[] {
    return (this.db.prepare('SELECT path, added_at FROM library_roots ORDER BY added_at').all() as { path: string; added_at: number }[]).map((r) => ({ path: r.path, addedAt: r.added_at }));
  }

  addRoot(root: string, now = Date.now()): LibraryRoot {
    this.db.prepare('INSERT INTO library_roots (path, added_at) VALUES (?, ?) ON CONFLICT(path) DO NOTHING').run(root, now);
    return this.roots().find((r) => r.path === root)!;
  }

  removeRoot(root: string): boolean {
    const removed = this.db.prepare('DELETE FROM library_roots WHERE path = ?').run(root).changes > 0;
    this.removeOrigin(localOrigin(root));
    return removed;
  }

  listing(): LibraryListing {
    const hub = this.db.prepare('SELECT location, scanned_at FROM library_scans WHERE origin = ?').get(HUB_ORIGIN) as { location: string; scanned_at: number } | undefined;
    const last = this.db.prepare('SELECT max(scanned_at) AS t FROM library_scans').get() as { t: number | null };
    return { items: this.items(), roots: this.roots(), hubCacheDir: hub?.location ?? '', scannedAt: last.t ?? null };
  }
}
