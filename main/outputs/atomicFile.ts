/**
 * THE way the app writes a whole file: under a temporary name in the same folder (so the rename
 * stays on one file system), flushed to disk, then renamed over the target. A reader, a crash or
 * a full disk leaves either the old file or the complete new one, never half of either, and the
 * temporary file never outlives a failure. Errors are the system's own (the caller knows what
 * the file is and names it); the output-path rule (outputPath.ts) maps them for user outputs.
 */
import fs from 'node:fs';
import path from 'node:path';

let counter = 0;

/** A name next to `file`, hidden, unique to this process and call: `.name.<pid>.<n>.tmp`. */
export function temporaryNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${++counter}.tmp`);
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = temporaryNameFor(file);
  try {
    // 'wx': the temporary name is ours alone; never follow or truncate something already there.
    const fd = fs.openSync(tmp, 'wx');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Pretty JSON with a final newline, written whole. The folder must exist. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
