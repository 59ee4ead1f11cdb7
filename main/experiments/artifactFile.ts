/**
 * Experiment artifacts on disk: runs/<job-id>/experiment.json, written whole to a temporary file
 * and renamed into place, so a reader never sees half an artifact.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EXPERIMENT_ARTIFACT_FILE, EXPERIMENT_ARTIFACT_FORMAT, type ExperimentArtifact } from '../../preload/api';
import { WorkbenchError } from '../errors';

export const appVersion = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export { writeJsonAtomic } from '../outputs/atomicFile';

export function artifactPath(runDir: string): string {
  return path.join(runDir, EXPERIMENT_ARTIFACT_FILE);
}

export function readArtifact(file: string): ExperimentArtifact {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new WorkbenchError(missing ? 'EXPERIMENT_NO_ARTIFACT' : 'EXPERIMENT_ARTIFACT_INVALID', missing ? `${file} does not exist.` : `${file}: is not valid JSON (${(err as Error).message}).`, missing ? 'The experiment has not finished, or its run folder was removed.' : 'Run the experiment again.');
  }
  if (!value || typeof value !== 'object' || (value as { format?: unknown }).format !== EXPERIMENT_ARTIFACT_FORMAT) {
    throw new WorkbenchError('EXPERIMENT_ARTIFACT_INVALID', `${file}: is not an SAE Workbench experiment artifact.`, 'Open it in the Library as a result file instead.');
  }
  return value as ExperimentArtifact;
}
