import { EXPERIMENT_JOB_KINDS, ProbeParams } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { runProbes } from '../experiments/probes';
import { probeSummary } from '../experiments/summaries';
import type { CliCommand } from './command';
import { cliExperimentContext, emit, experimentArtifact, planArtifactOutput, numberOption, parseWith, sliceOptions, stringOption } from './experimentCli';

const usage =
  'sae-workbench probe --condition <spec> --dataset <path> --probe model=<dir>,hook=<hook> | --probe model=<dir>,sae=<dir> [--probe ...] [--test-fraction 0.2] [--split-seed 0] [--l2 0.001] [--max-documents N] [--device ...] [--out artifact.json [--overwrite]] --json [--on <cluster>] [--home <dir>]';

/** `model=<dir>,hook=<h>[,label=<text>]` or `model=<dir>,sae=<dir>[,label=<text>]`. */
export function parseProbeSpec(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    if (eq < 0 || !['model', 'hook', 'sae', 'label'].includes(key)) {
      throw new WorkbenchError('BAD_ARGUMENT', `--probe "${text}": "${part}" is not model=, hook=, sae= or label=.`, 'Write --probe model=<dir>,hook=blocks.2.hook_resid_post or --probe model=<dir>,sae=<dir>.');
    }
    fields[key] = part.slice(eq + 1).trim();
  }
  if (fields.hook && fields.sae) throw new WorkbenchError('BAD_ARGUMENT', `--probe "${text}" names both a hook and an SAE.`, 'A probe reads either a hook or an SAE\'s latents; give two --probe options for both.');
  return { ...fields, source: fields.sae ? 'sae' : 'hook' };
}

/**
 * `probe`: logistic-regression probes for a token condition, split by document. --json prints
 * {"condition", "probes": [{"label", "source", "hook", "accuracy", "auroc", "baseline", "train_positions", "test_positions", "verdict"}]}.
 */
export const probeCommand: CliCommand = {
  name: 'probe',
  startsEngine: true,
  longInputHint: 'Queue it as a job instead, which runs in a worker process: sae-workbench jobs add experiment.probe --params \'<JSON>\' --wait (jobs kinds lists the parameters).',
  summary: 'Train logistic-regression probes for a token condition on hook activations or SAE latents (held-out accuracy, AUROC, majority baseline).',
  usage,
  options: { ...sliceOptions, condition: { type: 'string' }, probe: { type: 'string', multiple: true }, 'test-fraction': { type: 'string' }, 'split-seed': { type: 'string' }, l2: { type: 'string' } },
  async run({ values }, ctx) {
    const specs = (values.probe as string[] | undefined) ?? [];
    const params = parseWith(
      ProbeParams,
      {
        dataset: stringOption(values, 'dataset'),
        textColumn: stringOption(values, 'text-column'),
        maxDocuments: numberOption(values, 'max-documents'),
        contextSize: numberOption(values, 'context-size'),
        device: stringOption(values, 'device'),
        condition: stringOption(values, 'condition'),
        probes: specs.length ? specs.map(parseProbeSpec) : undefined,
        testFraction: numberOption(values, 'test-fraction', false),
        splitSeed: numberOption(values, 'split-seed'),
        l2: numberOption(values, 'l2', false),
      },
      usage,
    );
    const out = planArtifactOutput(values, params);
    const { artifact, slurmJobId } = await experimentArtifact(values, ctx, EXPERIMENT_JOB_KINDS.probe, params, () => runProbes(params, cliExperimentContext(ctx)));
    return emit(values, ctx, out, artifact, probeSummary(artifact), [`Probes for ${artifact.condition} (${artifact.trainDocuments.length} training, ${artifact.testDocuments.length} held-out documents):`, ...artifact.probes.map((p) => `  ${p.verdict}`)], slurmJobId);
  },
};
