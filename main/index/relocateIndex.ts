/**
 * An index built elsewhere (on a cluster, from copies of its inputs) names its inputs where they
 * were there; brought here, it should name them where they are here. This rewrites the paths in
 * its meta (params, provenance) and the meta's checksum with them, in one transaction.
 */
import { indexTarget, metaCrc } from './indexDatabase';
import { openSqliteFile } from '../db/sqliteFile';

const PATH_KEYS = ['params', 'provenance'];

export function relocateIndexFile(file: string, relocate: (value: unknown) => unknown): void {
  const db = openSqliteFile(indexTarget(file));
  try {
    db.transaction(() => {
      const set = db.prepare('UPDATE meta SET value = ? WHERE key = ?');
      for (const key of PATH_KEYS) {
        const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
        if (row) set.run(JSON.stringify(relocate(JSON.parse(row.value))), key);
      }
      const sealed = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'checksums'").get();
      if (sealed) db.prepare("UPDATE checksums SET crc = ? WHERE name = 'meta'").run(metaCrc(db.prepare('SELECT key, value FROM meta ORDER BY key').all() as { key: string; value: string }[]));
    })();
    // Nothing left in a WAL beside the file: it is moved alone.
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}
