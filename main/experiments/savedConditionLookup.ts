/**
 * `named:<name>` conditions in an experiment resolve against the saved conditions of its data
 * directory (the Compare page's store, migration 500); the artifact records the expanded spec, so
 * a result never depends on a name that may later change.
 */
import { SavedConditions } from '../compare/savedConditions';
import { openDatabase } from '../db/connection';

export function savedConditionResolver(home: string | null | undefined): (name: string) => string | null {
  return (name) => {
    if (!home) return null;
    let db: ReturnType<typeof openDatabase>;
    try {
      db = openDatabase(home, { migrate: false });
    } catch {
      return null;
    }
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
