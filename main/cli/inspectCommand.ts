import { resolve } from 'node:path';
import { inspectDirectory, type Inspection } from '../formats/inspect';
import { WorkbenchError } from '../errors';
import type { CliCommand } from './command';

function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** The human-readable summary; --json prints the Inspection object itself. */
export function describeInspection(x: Inspection): string[] {
  switch (x.kind) {
    case 'model':
      return [
        `Model       ${x.name}  (${x.format}, ${x.architecture})`,
        `Path        ${x.path}`,
        `Shape       ${x.layers} layers, d_model ${x.dModel}, ${x.heads} heads x ${x.dHead}, d_mlp ${x.dMlp}, vocab ${x.vocab}, context ${x.nCtx}`,
        `Blocks      ${x.normalization}, ${x.activation}${x.gatedMlp ? ' (gated MLP)' : ''}${x.kvHeads !== x.heads ? `, ${x.kvHeads} key/value heads (grouped-query)` : ''}`,
        `Parameters  ${count(x.params)} (${x.params}) in ${x.weightFiles.join(', ')} [${x.weightDtypes.join(', ')}]`,
        `Tokenizer   ${x.hasTokenizer ? 'tokenizer.json' : 'none (needs tokenizer.json to run on text)'}`,
      ];
    case 'sae':
      return [
        `SAE         ${x.architecture}${x.k !== null ? ` (k=${x.k})` : ''}, d_in ${x.dIn}, d_sae ${x.dSae}`,
        `Path        ${x.path}`,
        `Hook        ${x.hook}${x.layer !== null ? ` (layer ${x.layer})` : ''}${x.modelName ? ` on ${x.modelName}` : ''}`,
        `Config      sae_lens ${x.cfgGeneration}, dtype ${x.dtype}, normalize_activations ${x.normalizeActivations}`,
        `Weights     ${x.weightDtypes.join(', ') || 'missing'}${x.hasSparsity ? ', with sparsity.safetensors' : ''}`,
        ...x.problems.map((p) => `Problem     ${p}`),
      ];
    case 'dataset':
      return [
        `Dataset     ${x.format}, ${x.files.length} file${x.files.length === 1 ? '' : 's'}, ${bytes(x.bytes)}, ${x.rows === null ? 'row count not computed' : `${x.rows} rows`}`,
        `Path        ${x.path}`,
        ...x.files.slice(0, 20).map((f) => `  ${f.file}  ${f.format}  ${bytes(f.bytes)}  ${f.rows ?? '?'} rows`),
        ...(x.files.length > 20 ? [`  ... and ${x.files.length - 20} more`] : []),
      ];
    case 'unknown':
      return [
        `Unknown     ${x.path}: ${x.reason}`,
        ...(x.children.length ? ['Contains:', ...x.children.map((c) => `  ${c.name}  (${c.kind})`)] : []),
      ];
  }
}

export const inspectCommand: CliCommand = {
  name: 'inspect',
  summary: 'Describe a model, SAE or dataset folder (or file) without loading weights.',
  usage: 'sae-workbench inspect <path> [--json]',
  options: { json: { type: 'boolean' } },
  async run({ values, positionals }, ctx) {
    if (positionals.length !== 1) throw new WorkbenchError('BAD_ARGUMENT', `inspect takes exactly one path (got ${positionals.length}).`, `Usage: ${inspectCommand.usage}`);
    const result = inspectDirectory(resolve(positionals[0]));
    if (values.json) ctx.stdout(JSON.stringify(result, null, 2));
    else describeInspection(result).forEach((l) => ctx.stdout(l));
    return 0;
  },
};
