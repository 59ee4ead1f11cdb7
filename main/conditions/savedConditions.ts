import type { SavedCondition } from '../../preload/api';
import { compileCondition, parseCondition } from './tokenCondition';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';

/** Named token conditions ("step-onset"), kept in the app database (migration 500). */
export class SavedConditions {
  constructor(private readonly db: Db) {}

  list(): SavedCondition[] {
    return this.db.prepare('SELECT name, spec, description FROM saved_conditions ORDER BY name').all() as SavedCondition[];
  }

  resolve = (name: string): string | null => (this.db.prepare('SELECT spec FROM saved_conditions WHERE name = ?').get(name) as { spec: string } | undefined)?.spec ?? null;

  save(c: SavedCondition): SavedCondition {
    if (parseCondition(c.spec).some((clause) => clause.kind === 'named')) {
      throw new WorkbenchError('CONDITION_INVALID', `A saved condition cannot refer to another one ("${c.spec}").`, 'Write the condition out in full.');
    }
    compileCondition(c.spec);
    this.db.prepare('INSERT INTO saved_conditions (name, spec, description, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, description = excluded.description').run(c.name, c.spec, c.description, Date.now());
    return c;
  }

  remove(name: string): void {
    if (this.db.prepare('DELETE FROM saved_conditions WHERE name = ?').run(name).changes === 0) {
      throw new WorkbenchError('CONDITION_UNKNOWN', `There is no saved condition named "${name}".`, `Saved: ${this.list().map((c) => c.name).join(', ') || '(none)'}.`);
    }
  }
}
