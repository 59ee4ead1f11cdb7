import type { LibraryItem, LibraryListing, LibraryRoot } from '../../preload/api';
import type { Db } from '../db/connection';
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

  items(): LibraryItem[] {
    const rows = this.db.prepare('SELECT item FROM library_items ORDER BY kind, name, path').all() as { item: string }[];
    return linkSaesToModels(rows.map((r) => JSON.parse(r.item) as LibraryItem));
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
