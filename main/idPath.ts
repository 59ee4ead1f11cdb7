import path from 'node:path';
import { WorkbenchError } from './errors';

/** Far above every id the core generates (job ids are 17 characters), far below a file name's limit. */
const MAX_ID_LENGTH = 128;

/**
 * The one way an id (job, index, corpus) becomes a path: `<root>/<id><suffix>`, refused unless the
 * id is one plain file name that stays directly under `root`. The contract's id patterns already
 * keep "../../secret" out of requests; this is the second wall for ids that come from anywhere else
 * (the database, a job's params, a test, a future caller), so no id can read or write outside its
 * folder whatever path it took to get here.
 */
export function idPath(root: string, id: string, suffix = ''): string {
  const problem = idPathProblem(id, suffix);
  if (problem) {
    throw new WorkbenchError('INVALID_ID', `${shownId(id)} is not a valid id for a file under ${root}: ${problem}.`, 'Use an id as the app lists it (the Queue for jobs, index.list for indexes); ids are names, not paths.');
  }
  const base = path.resolve(root);
  const joined = path.join(base, id + suffix);
  // The checks above make this hold; keep it as the invariant the function promises.
  if (path.dirname(joined) !== base) throw new WorkbenchError('INVALID_ID', `${shownId(id)} leads outside ${root}.`, 'Ids are names, not paths.');
  return joined;
}

function idPathProblem(id: string, suffix: string): string | null {
  if (id.length === 0) return 'it is empty';
  if (id.length > MAX_ID_LENGTH) return `it is ${id.length} characters long (at most ${MAX_ID_LENGTH})`;
  if (id.includes('\0')) return 'it holds a NUL character';
  if (/[/\\]/.test(id)) return 'it holds a path separator';
  if (id === '.' || id === '..') return 'it names a folder itself';
  if (/[/\\\0]/.test(suffix)) return 'its file suffix holds a path separator';
  return null;
}

/** The id as a message may quote it: JSON-escaped (a NUL or newline stays visible) and cut short. */
function shownId(id: string): string {
  const quoted = JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
  return `The id ${quoted}`;
}
