import { formatStat, SteerParams } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { runSteering } from '../experiments/steering';
import { steeringSummary } from '../experiments/summaries';
import type { CliCommand } from './command';
import { cliExperimentContext, emit, planArtifactOutput, nullOptions, numberList, numberOption, parseWith, sliceAndNullFields, sliceOptions, stringOption } from './experimentCli';

const usage = [
  'sae-workbench steer --model <dir> --sae <dir> --feature <f> --dataset <path> [--sae-model <dir>] [--decoder a|b (a crosscoder as --sae)] [--intervention add|replace|ablate] [--strength c[,c...]] [--steer-at all|condition]',
  '       [--metric ...] [--condition <spec>] [--seeds 5] [--draws 4] [--null-seed 0] [--margin X] [--max-documents N] [--prompt <text> [--max-new-tokens 24] [--temperature 0.8] [--sample-seed 0]] [--device ...] [--out artifact.json [--overwrite]] --json [--home <dir>]',
  '   or: sae-workbench steer --panels <JSON array of up to 4 panels> --dataset <path> ... (the job kind experiment.steer\'s panel fields)',
].join('\n');

function panelsFromJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new WorkbenchError('BAD_ARGUMENT', `--panels is not valid JSON (${(err as Error).message}).`, 'Give a JSON array, e.g. --panels \'[{"model":"m","sae":"s","feature":3}]\'.');
  }
}

/**
 * `steer`: add c * W_dec[f] (or replace the component along it, or ablate the latent) and compare
 * the metric change with the same intervention on density-matched random features, over a
 * strength sweep; optionally generate text with and without it. --json prints
 * {"metric", "panels": [{"label", "clean", "points": [{"strength", "steered", "effect", "null": {"seeds", "mean", "sem", "draws"}, "z", "p_value",
 * ["margin", "within_margin",] "verdict"}], "generation"}]}: each point carries its verdict's p-value (and margin test).
 */
export const steerCommand: CliCommand = {
  name: 'steer',
  startsEngine: true,
  longInputHint: 'Queue it as a job instead, which runs in a worker process: sae-workbench jobs add experiment.steer --params \'<JSON>\' --wait (jobs kinds lists the parameters).',
  summary: 'Steer along an SAE feature direction (strength sweep, up to four panels) against density-matched random directions; generate text side by side.',
  usage,
  options: {
    ...sliceOptions,
    ...nullOptions,
    model: { type: 'string' },
    sae: { type: 'string' },
    'sae-model': { type: 'string' },
    decoder: { type: 'string' },
    feature: { type: 'string' },
    intervention: { type: 'string' },
    strength: { type: 'string' },
    panels: { type: 'string' },
    'steer-at': { type: 'string' },
    metric: { type: 'string' },
    condition: { type: 'string' },
    prompt: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'sample-seed': { type: 'string' },
  },
  async run({ values }, ctx) {
    const panelsJson = stringOption(values, 'panels');
    const strength = stringOption(values, 'strength');
    if (panelsJson && (values.model || values.sae || values.feature)) throw new WorkbenchError('BAD_ARGUMENT', 'Give either --panels or --model/--sae/--feature, not both.', `Usage: ${usage}`);
    const panels = panelsJson
      ? panelsFromJson(panelsJson)
      : [
          {
            model: stringOption(values, 'model'),
            sae: stringOption(values, 'sae'),
            saeModel: stringOption(values, 'sae-model'),
            decoder: stringOption(values, 'decoder'),
            feature: numberOption(values, 'feature'),
            intervention: stringOption(values, 'intervention'),
            strengths: strength === undefined ? undefined : numberList(strength, 'strength', false),
          },
        ].map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)));
    const params = parseWith(
      SteerParams,
      {
        ...sliceAndNullFields(values),
        panels,
        steerAt: stringOption(values, 'steer-at'),
        metric: stringOption(values, 'metric'),
        condition: stringOption(values, 'condition'),
        prompt: stringOption(values, 'prompt'),
        maxNewTokens: numberOption(values, 'max-new-tokens'),
        temperature: numberOption(values, 'temperature', false),
        sampleSeed: numberOption(values, 'sample-seed'),
      },
      usage,
    );
    const out = planArtifactOutput(values, params);
    const artifact = await runSteering(params, cliExperimentContext(ctx));
    const lines: string[] = [`${artifact.metric.label}${artifact.metric.condition ? ` at ${artifact.metric.condition}` : ''} over ${artifact.metric.positions} positions of ${artifact.slice.documents} documents:`];
    for (const p of artifact.panels) {
      lines.push(`${p.label}: clean ${formatStat(p.clean)}`);
      for (const pt of p.points) lines.push(`  c = ${formatStat(pt.strength)}: ${formatStat(pt.steered)}. ${pt.verdict}`);
      if (p.generation) lines.push(`  text without: ${p.generation.clean}`, `  text with c = ${p.generation.strength}: ${p.generation.steered}`);
    }
    return emit(values, ctx, out, artifact, steeringSummary(artifact), lines);
  },
};
