import { WorkbenchError } from '../errors';
import type { JobKind } from './kind';
import { verifyFilesJob } from '../library/verifyFilesJob';
import { libraryScanJob } from '../library/scanJob';
import { hubDownloadJob } from '../hub/downloadJob';
import { demoBundleJob } from '../demo/demoJob';

/**
 * Every job kind the app knows. Kinds keep their heavy imports inside run() so that the core,
 * which only needs their metadata, stays light.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind checks its own params
type AnyJobKind = JobKind<any>;
const kinds: AnyJobKind[] = [verifyFilesJob, libraryScanJob, hubDownloadJob, demoBundleJob];

export function allJobKinds(): AnyJobKind[] {
  return kinds;
}

export function findJobKind(kind: string): AnyJobKind {
  const found = allJobKinds().find((k) => k.kind === kind);
  if (!found) {
    throw new WorkbenchError('UNKNOWN_JOB_KIND', `There is no job kind "${kind}".`, `Known kinds: ${allJobKinds().map((k) => k.kind).join(', ')}.`);
  }
  return found;
}
