import { INDEX_BUILD_JOB_KIND, IndexBuildParamsSchema, type IndexBuildParams } from '../../preload/contract/featureIndex';
import { defineJobKind } from '../jobs/kind';
import { identityLabel, modelLabelOfFolder, saeLabelOfFolder } from '../library/identity';

/**
 * `index.build`: one model pass over a dataset feeding one index per SAE. Pausable: it commits
 * in batches and a resumed (or crashed and requeued) build continues from its last commit.
 */
export const indexBuildJob = defineJobKind<IndexBuildParams>({
  kind: INDEX_BUILD_JOB_KIND,
  description: "Index SAE feature activations of a model over a dataset: stats, top and interval examples, histograms, logit effects, neighbours, and a sparse per-token store for Features and Compare.",
  params: IndexBuildParamsSchema,
  title: (p) => `Index ${modelLabelOfFolder(p.modelPath)} · ${p.saePaths.length === 1 ? saeLabelOfFolder(p.saePaths[0]) : `${p.saePaths.length} SAEs`} on ${identityLabel('dataset', p.datasetPath)}`,
  resource: (p) => (p.device === 'cpu' ? 'cpu' : 'gpu'),
  pausable: true,
  maxAttempts: 3,
  async run(ctx, params) {
    const { buildIndexes } = await import('./buildIndex');
    return buildIndexes(
      {
        home: ctx.home,
        jobId: ctx.jobId,
        resumeState: (ctx.checkpoint as import('./buildIndex').BuildState | null) ?? null,
        saveState: (state) => ctx.saveCheckpoint(state),
        progress: (fraction, message, detail) => ctx.progress(fraction, message, detail),
        log: (level, message) => ctx.log(level, message),
        throwIfStopped: () => ctx.throwIfStopped(),
      },
      params,
    );
  },
});
