import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkbenchError } from './errors';
import { idPath } from './idPath';

/** WORKBENCH_HOME > --home > ~/.sae-workbench (Electron passes its userData explicitly). */
export function resolveHome(explicit?: string): string {
  const chosen = explicit ?? process.env.WORKBENCH_HOME ?? path.join(os.homedir(), '.sae-workbench');
  return path.resolve(chosen);
}

/** Create the home layout and prove it is writable, so failures surface at start, not mid-job. */
export function prepareHome(home: string): void {
  try {
    fs.mkdirSync(path.join(home, 'runs'), { recursive: true });
    fs.mkdirSync(path.join(home, 'exports'), { recursive: true });
    const probe = path.join(home, `.write-probe-${process.pid}`);
    fs.writeFileSync(probe, 'ok');
    fs.rmSync(probe);
  } catch (err) {
    throw new WorkbenchError(
      'HOME_UNWRITABLE',
      `The data directory ${home} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      'Choose another directory with --home DIR or the WORKBENCH_HOME environment variable, or fix its permissions.',
      { cause: err },
    );
  }
}

/** A job's folder, <home>/runs/<job-id>: the id through idPath, so it cannot lead elsewhere. */
export function runDir(home: string, jobId: string): string {
  return idPath(path.join(home, 'runs'), jobId);
}
