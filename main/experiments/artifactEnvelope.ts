import { EXPERIMENT_ARTIFACT_FORMAT, type ArtifactBase, type ExperimentKind } from '../../preload/api';
import { appVersion } from './artifactFile';
import type { DocumentSlice } from './documentSlice';
import { identifyInputs } from './experimentInputs';

/**
 * The common head of an artifact: what ran, when, for how long, on what, with which parameters,
 * on which inputs (models and SAEs as given, then the measured dataset) and documents.
 */
export async function artifactEnvelope<K extends ExperimentKind, P>(
  kind: K,
  o: { started: number; executionProvider: string; params: P; slice: DocumentSlice; inputs: { role: 'model' | 'sae'; root: string }[] },
): Promise<ArtifactBase<K, P>> {
  const inputs = await identifyInputs([...o.inputs, { role: 'dataset', root: o.slice.info.dataset, files: o.slice.files }]);
  return {
    format: EXPERIMENT_ARTIFACT_FORMAT,
    version: 1,
    kind,
    createdAt: Date.now(),
    elapsedMs: Date.now() - o.started,
    appVersion,
    executionProvider: o.executionProvider,
    params: o.params,
    inputs,
    slice: o.slice.info,
  };
}
