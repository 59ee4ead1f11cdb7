import { INDEX_BUILD_JOB_KIND, INDEX_MERGE_JOB_KIND, IndexBuildParamsSchema, IndexMergeParamsSchema, type IndexBuildParams, type IndexMergeParams } from '../../preload/contract/featureIndex';
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
  remote: {
    // A crosscoder's model A goes along when named (else its cfg's model_a_path must exist there).
    inputs: (p) => [p.modelPath, ...p.saePaths, p.datasetPath, ...(p.modelAPath ? [p.modelAPath] : [])],
    // A sharded build: one array task per shard, then index.merge once all are built.
    parts: (p) =>
      p.shards
        ? { count: p.shards, part: (index) => ({ ...p, shards: undefined, shard: { index, count: p.shards! } }), join: { kind: INDEX_MERGE_JOB_KIND, params: (shardHomes) => ({ build: p, shardHomes }) } }
        : null,
  },
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

/**
 * `index.merge`: join the shards of a sharded build (each built by index.build with `shard`, in its
 * own data directory) into one index per SAE, with the tables an unsharded build would have. A
 * Slurm array build runs it on the cluster once every shard has finished.
 */
export const indexMergeJob = defineJobKind<IndexMergeParams>({
  kind: INDEX_MERGE_JOB_KIND,
  description: 'Join the shards of a sharded index build (index.build with shard) into one index, equal to an unsharded build.',
  params: IndexMergeParamsSchema,
  title: (p) => `Join ${p.shardHomes.length} index shards · ${modelLabelOfFolder(p.build.modelPath)} on ${identityLabel('dataset', p.build.datasetPath)}`,
  resource: (p) => (p.build.device === 'cpu' ? 'cpu' : 'gpu'),
  pausable: false,
  remote: { inputs: (p) => [p.build.modelPath, ...p.build.saePaths, p.build.datasetPath, ...p.shardHomes] },
  async run(ctx, params) {
    const { mergeIndexShards } = await import('./mergeIndexes');
    return mergeIndexShards(
      {
        home: ctx.home,
        jobId: ctx.jobId,
        resumeState: null,
        saveState: async () => {},
        progress: (fraction, message, detail) => ctx.progress(fraction, message, detail),
        log: (level, message) => ctx.log(level, message),
        throwIfStopped: () => ctx.throwIfStopped(),
      },
      params,
    );
  },
});
