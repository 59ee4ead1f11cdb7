import { formatStat, SwapParams } from '../../preload/api';
import { runSwap } from '../experiments/swap';
import { swapSummary } from '../experiments/summaries';
import type { CliCommand } from './command';
import { cliExperimentContext, emit, planArtifactOutput, nullOptions, numberList, parseWith, sliceAndNullFields, sliceOptions, stringOption } from './experimentCli';

const usage =
  'sae-workbench swap --model-a <dir> --model-b <dir> --dataset <path> [--mode layers|latents] [--hook <hook>] [--sae <dir of B\'s SAE>] [--features <f>[,<f>...]] [--metric ...] [--condition <spec>] [--seeds 5] [--draws 4] [--null-seed 0] [--margin X] [--max-documents N] [--device ...] [--out artifact.json [--overwrite]] --json [--home <dir>]';

/**
 * `swap`: run A to a hook and continue with B's later layers (layers), or splice B's SAE latents
 * into A (latents); compare with both unswapped models. --json prints
 * {"metric", "a", "b", "swapped", "effect", "gap_fraction", "null": {"seeds", "mean", "sem", "draws"} | null, "z", "p_value",
 * ["margin", "within_margin",] "verdict"}.
 */
export const swapCommand: CliCommand = {
  name: 'swap',
  startsEngine: true,
  longInputHint: 'Queue it as a job instead, which runs in a worker process: sae-workbench jobs add experiment.swap --params \'<JSON>\' --wait (jobs kinds lists the parameters).',
  summary: "Continue model A from a hook with model B's later layers (or B's SAE latents); compare with both models and seeded nulls.",
  usage,
  options: { ...sliceOptions, ...nullOptions, 'model-a': { type: 'string' }, 'model-b': { type: 'string' }, mode: { type: 'string' }, hook: { type: 'string' }, sae: { type: 'string' }, features: { type: 'string' }, metric: { type: 'string' }, condition: { type: 'string' } },
  async run({ values }, ctx) {
    const features = stringOption(values, 'features');
    const params = parseWith(
      SwapParams,
      {
        ...sliceAndNullFields(values),
        modelA: stringOption(values, 'model-a'),
        modelB: stringOption(values, 'model-b'),
        mode: stringOption(values, 'mode'),
        hook: stringOption(values, 'hook'),
        sae: stringOption(values, 'sae'),
        features: features === undefined ? undefined : numberList(features, 'features', true),
        metric: stringOption(values, 'metric'),
        condition: stringOption(values, 'condition'),
      },
      usage,
    );
    const out = planArtifactOutput(values, params);
    const artifact = await runSwap(params, cliExperimentContext(ctx));
    return emit(values, ctx, out, artifact, swapSummary(artifact), [
      `${artifact.metric.label}${artifact.metric.condition ? ` at ${artifact.metric.condition}` : ''} over ${artifact.metric.positions} positions: A ${formatStat(artifact.a)}, B ${formatStat(artifact.b)}, swapped ${formatStat(artifact.swapped)}`,
      artifact.result.verdict,
    ]);
  },
};
