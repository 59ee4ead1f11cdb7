/**
 * THE way the app opens a file it is given to read (configs, weights, tokenizers, dataset files,
 * --in): one open that checks what it opened. A FIFO, socket or device where a file is expected
 * would hang a reader (opening a FIFO waits for a writer; reading it waits for data) and a
 * folder gives EISDIR deep inside a parser; here each is a WorkbenchError naming the path.
 */
import { closeSync, constants, createReadStream, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, statSync, type ReadStream, type Stats } from 'node:fs';
import { WorkbenchError } from '../errors';

/**
 * O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; for regular
 * files it changes nothing (reads of regular files never block on POSIX), so it is safe to keep.
 */
export const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** The error for a path that is not a regular file (a folder, FIFO, socket or device). */
export function notAFile(file: string, st: Stats): WorkbenchError {
  const what = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a named pipe (FIFO)' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
  return new WorkbenchError('NOT_A_FILE', `${file} is ${what}, not a regular file.`, 'Point at the file itself (a regular file on disk).');
}

function symlinkLoop(file: string, cause: unknown): WorkbenchError {
  return new WorkbenchError('SYMLINK_LOOP', `${file} is a symlink loop: its links lead back to themselves and never reach a file.`, 'Replace the link with the file it should point to (or download the item again).', { cause });
}

/** Why nothing can be opened at a path: `text` ends a sentence that starts with the path's name. */
export interface FileAbsence {
  kind: 'missing' | 'loop' | 'dangling' | 'unreachable';
  text: string;
}

/**
 * Why a file expected at `file` cannot be reached ("is missing", "is a symlink loop ...", "is a link
 * to X, which does not exist"), or null when the path leads somewhere. "Missing" is said only when
 * nothing at all is there: a loop or a dangling link needs a different fix (replace the link) from a
 * file never downloaded.
 */
export function fileAbsence(file: string): FileAbsence | null {
  try {
    statSync(file);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { kind: 'loop', text: 'is a symlink loop (its links lead back to themselves)' };
    let isLink: boolean;
    try {
      isLink = lstatSync(file).isSymbolicLink();
    } catch {
      return { kind: 'missing', text: 'is missing' };
    }
    if (isLink && code === 'ENOENT') {
      let target = '';
      try {
        target = readlinkSync(file);
      } catch {
        // an unreadable link: say what is known
      }
      return { kind: 'dangling', text: `is a link${target ? ` to ${target}` : ''}, which does not exist` };
    }
    return { kind: 'unreachable', text: `cannot be reached (${code ?? (err as Error).message})` };
  }
}

/** Open a regular file (or a link to one) for reading: its descriptor (the caller closes it) and size. */
export function openRegularFile(file: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(file, READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENXIO') throw new WorkbenchError('NOT_A_FILE', `${file} is a socket or device, not a regular file.`, 'Point at the file itself (a regular file on disk).');
    if (code === 'ELOOP') throw symlinkLoop(file, err);
    throw new WorkbenchError('FILE_NOT_READABLE', `Cannot open ${file}: ${(err as Error).message}`, 'Check that the file exists and is readable.', { cause: err });
  }
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (err) {
    closeSync(fd);
    throw new WorkbenchError('FILE_NOT_READABLE', `Cannot read ${file}: ${(err as Error).message}`, 'Check that the file is readable.', { cause: err });
  }
  if (!st.isFile()) {
    closeSync(fd);
    throw notAFile(file, st);
  }
  return { fd, size: st.size };
}

/** Open `file` for reading, hand its descriptor and size to `use`, and always close it. */
export function withFile<T>(file: string, use: (fd: number, size: number) => T): T {
  const { fd, size } = openRegularFile(file);
  try {
    return use(fd, size);
  } finally {
    closeSync(fd);
  }
}

/** The whole file. `maxBytes` refuses larger files before reading them (FILE_TOO_LARGE). */
export function readFileBytes(file: string, maxBytes = Number.POSITIVE_INFINITY): Buffer {
  return withFile(file, (fd, size) => {
    if (size > maxBytes) throw new WorkbenchError('FILE_TOO_LARGE', `${file} is ${size} bytes, over the ${maxBytes}-byte limit for this kind of file.`, 'Check that this is the right file.');
    try {
      return readFileSync(fd);
    } catch (err) {
      throw new WorkbenchError('FILE_NOT_READABLE', `Cannot read ${file}: ${(err as Error).message}`, 'Check that the file is readable and complete.', { cause: err });
    }
  });
}

/** The whole file as UTF-8 text (configs, tokenizers, JSON files). */
export function readTextFile(file: string, maxBytes?: number): string {
  return readFileBytes(file, maxBytes).toString('utf8');
}

/** A stream over a regular file, opened (and checked) through the one path above. */
export function openReadStream(file: string, options: { highWaterMark?: number } = {}): ReadStream {
  const { fd } = openRegularFile(file);
  return createReadStream('', { fd, autoClose: true, highWaterMark: options.highWaterMark });
}

/** Throws unless `file` is a regular file (or a link to one); for code that opens the path itself later. */
export function requireRegularFile(file: string): void {
  closeSync(openRegularFile(file).fd);
}
