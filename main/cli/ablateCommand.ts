import { AblateParams, formatPValue, formatStat } from '../../preload/api';
import { runAblation } from '../experiments/ablation';
import { ablationSummary } from '../experiments/summaries';
import type { CliCommand } from './command';
import { cliExperimentContext, emit, planArtifactOutput, nullOptions, numberList, parseWith, sliceAndNullFields, sliceOptions, stringOption } from './experimentCli';

const usage =
  'sae-workbench ablate --model <dir> --sae <dir> --features <f>[,<f>...] --dataset <path> [--max-documents N] [--mode zero|mean] [--metric ce|logit:<token>|prob:<token>|logprob:<token>|logit-diff:<a>,<b>] [--condition <spec>] [--seeds 5] [--draws 4] [--null-seed 0] [--margin X] [--context-size N] [--text-column C] [--device auto|cpu|cuda|webgpu] [--out artifact.json [--overwrite]] --json [--home <dir>]';

/**
 * `ablate`: zero- or mean-ablate SAE features by splice and compare the metric change with the
 * same ablation of density-matched random feature sets over seeds. With --json it prints exactly
 * {"metric", "clean", "ablated", "effect", "null": {"seeds", "mean", "sem", "draws"}, "z", "p_value",
 * "verdict"}, with "margin" and "within_margin" before "verdict" when --margin is given.
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
      `  clean ${formatStat(s.clean)}, ablated ${formatStat(s.ablated)}, effect ${formatStat(s.effect)}; null per seed [${s.null?.seeds.map((v) => formatStat(v)).join(', ')}], mean ${formatStat(s.null?.mean)}, SEM ${formatStat(s.null?.sem)}, z ${formatStat(s.z)}, p ${formatPValue(s.p_value)}`,
      s.verdict,
    ]);
  },
};
