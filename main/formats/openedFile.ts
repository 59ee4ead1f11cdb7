import { closeSync, fstatSync, openSync } from 'node:fs';
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
