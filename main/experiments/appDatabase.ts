/**
 * What experiments read from the data directory's app database while they run in a worker: the
 * saved conditions that `named:<name>` resolves against (the Compare page's store, migration 500).
 * The artifact records the expanded spec, so a result never depends on a name that may change.
 */
import { SavedConditions } from '../conditions/savedConditions';
import { openDatabase, type Db } from '../db/connection';
import { WorkbenchError } from '../errors';

/**
 * The app database for reading (no migrations: the core owns them), or null when there is none
 * or it cannot be used now (locked). A special file or a damaged database is the user's to know
 * about: those errors are thrown, not read as "no index, no saved conditions".
 */
export function openAppDatabase(home: string | null | undefined): Db | null {
  if (!home) return null;
  try {
    return openDatabase(home, { migrate: false });
  } catch (err) {
    if (err instanceof WorkbenchError && ['NOT_A_FILE', 'DB_CORRUPT', 'FILE_NOT_READABLE'].includes(err.code)) throw err;
    return null;
  }
}

export function savedConditionResolver(home: string | null | undefined): (name: string) => string | null {
  return (name) => {
    const db = openAppDatabase(home);
    if (!db) return null;
    try {
      return new SavedConditions(db).resolve(name);
    } catch {
      // A data directory from before saved conditions existed has none.
      return null;
    } finally {
      db.close();
    }
  };
}
