import { AblateParams } from '../../preload/api';
import { runAblation } from '../experiments/ablation';
import { ablationSummary } from '../experiments/summaries';
import type { CliCommand } from './command';
import { cliExperimentContext, emit, planArtifactOutput, nullOptions, numberList, parseWith, sliceAndNullFields, sliceOptions, stringOption } from './experimentCli';

const usage =
  'sae-workbench ablate --model <dir> --sae <dir> --features <f>[,<f>...] --dataset <path> [--max-documents N] [--mode zero|mean] [--metric ce|logit:<token>|prob:<token>|logprob:<token>|logit-diff:<a>,<b>] [--condition <spec>] [--seeds 5] [--draws 4] [--null-seed 0] [--context-size N] [--text-column C] [--device auto|cpu|cuda|webgpu] [--out artifact.json [--overwrite]] --json [--home <dir>]';

/**
 * `ablate`: zero- or mean-ablate SAE features by splice and compare the metric change with the
 * same ablation of density-matched random feature sets over seeds. With --json it prints exactly
 * {"metric", "clean", "ablated", "effect", "null": {"seeds", "mean", "sem"}, "z", "verdict"}.
 */
export const ablateCommand: CliCommand = {
  name: 'ablate',
  startsEngine: true,
  longInputHint: 'Queue it as a job instead, which runs in a worker process: sae-workbench jobs add experiment.ablate --params \'<JSON>\' --wait (jobs kinds lists the parameters).',
  summary: 'Ablate SAE features and compare the metric change with density-matched random features (seeded nulls).',
  usage,
  options: { ...sliceOptions, ...nullOptions, model: { type: 'string' }, sae: { type: 'string' }, features: { type: 'string' }, mode: { type: 'string' }, metric: { type: 'string' }, condition: { type: 'string' } },
  async run({ values }, ctx) {
    const features = stringOption(values, 'features');
    const params = parseWith(
      AblateParams,
      {
        ...sliceAndNullFields(values),
        model: stringOption(values, 'model'),
        sae: stringOption(values, 'sae'),
        features: features === undefined ? undefined : numberList(features, 'features', true),
        mode: stringOption(values, 'mode'),
        metric: stringOption(values, 'metric'),
        condition: stringOption(values, 'condition'),
      },
      usage,
    );
    const out = planArtifactOutput(values, params);
    const artifact = await runAblation(params, cliExperimentContext(ctx));
    const s = ablationSummary(artifact);
    return emit(values, ctx, out, artifact, s, [
      `${artifact.metric.label}${artifact.metric.condition ? ` at ${artifact.metric.condition}` : ''} over ${artifact.metric.positions} positions of ${artifact.slice.documents} documents:`,
      `  clean ${s.clean.toFixed(4)}, ablated ${s.ablated.toFixed(4)}, effect ${s.effect.toFixed(4)}; null per seed [${s.null?.seeds.map((v) => v.toFixed(4)).join(', ')}], mean ${s.null?.mean?.toFixed(4)}, SEM ${s.null?.sem?.toFixed(4)}, z ${s.z?.toFixed(2)}`,
      s.verdict,
    ]);
  },
};
