import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { WorkbenchError } from '../errors';

/** Open `file` for reading, hand its descriptor and size to `use`, and always close it. */
export function withFile<T>(file: string, use: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new WorkbenchError('FILE_NOT_READABLE', `Cannot open ${file}: ${(err as Error).message}`, 'Check that the file exists and is readable.', { cause: err });
  }
  try {
    return use(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

/**
 * Throws unless `file` is a regular file (or a link to one): a FIFO, socket or device would hang
 * a reader, and a directory gives EISDIR deep inside it. The error names the path.
 */
export function requireRegularFile(file: string): void {
  let st: import('node:fs').Stats;
  try {
    st = statSync(file);
  } catch (err) {
    throw new WorkbenchError('FILE_NOT_READABLE', `Cannot open ${file}: ${(err as Error).message}`, 'Check that the file exists and is readable.', { cause: err });
  }
  if (!st.isFile()) {
    const what = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a named pipe (FIFO)' : st.isSocket() ? 'a socket' : 'not a regular file';
    throw new WorkbenchError('NOT_A_FILE', `${file} is ${what}, not a regular file.`, 'Point at the file itself (a regular file on disk).');
  }
}
