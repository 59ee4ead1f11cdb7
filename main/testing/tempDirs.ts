import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temporary directory, removed by the returned cleanup. */
export function makeTempDir(label: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sae-wb-${label}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Sparse files of `bytesEach` (instant to create, take no disk, slow enough to hash for stop tests). */
export function makeSparseFiles(dir: string, count: number, bytesEach: number): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const file = path.join(dir, `part-${String(i).padStart(3, '0')}.bin`);
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, bytesEach);
    return file;
  });
}
