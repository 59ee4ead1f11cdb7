import { encodeSafetensors, readSafetensors, readTensor32 } from '../formats/safetensors';
import { planOutput, writeOutputFile } from '../outputs/outputPath';
import { parseDeviceChoice } from '../engine/executionProviders';
import { encodeActivations } from '../activations/saeEncoding';
import type { CliCommand } from './command';
import { outputChoice, overwriteOption, requiredString } from './cliOptions';

const usage = 'sae-workbench encode --sae <dir> --in <file.safetensors> --tensor <name> --out <file.safetensors> [--overwrite] [--device auto|cpu|cuda|webgpu]';

/**
 * `encode`: SAE feature activations and reconstruction for a saved activation tensor: writes
 * `feature_acts` [n, d_sae] and `sae_out` [n, d_in], float32 (leading dims flattened into n).
 */
export const encodeCommand: CliCommand = {
  name: 'encode',
  summary: 'Encode saved activations with an SAE: feature_acts and sae_out to safetensors.',
  usage,
  startsEngine: true,
  options: { sae: { type: 'string' }, in: { type: 'string' }, tensor: { type: 'string' }, out: { type: 'string' }, ...overwriteOption, device: { type: 'string' } },
  async run({ values }, ctx) {
    const saeDir = requiredString(values, 'sae', usage);
    const input = requiredString(values, 'in', usage);
    const name = requiredString(values, 'tensor', usage);
    requiredString(values, 'out', usage);
    const device = parseDeviceChoice(values.device as string | undefined);
    // Checked before any work: never onto the SAE's own files or the activations read.
    const out = planOutput({ ...outputChoice(values)!, kind: 'file', inputs: [{ label: '--sae', path: saeDir }, { label: '--in', path: input }] });
    const t = readTensor32(readSafetensors(input), name);
    const enc = await encodeActivations(saeDir, t, `${input}: tensor "${name}"`, device);
    const written = writeOutputFile(out, encodeSafetensors({
      feature_acts: { dtype: 'F32', shape: enc.featureActs.shape, data: enc.featureActs.data },
      sae_out: { dtype: 'F32', shape: enc.saeOut.shape, data: enc.saeOut.data },
    }, { sae: saeDir, hook_name: enc.config.hookName, execution_provider: enc.report.running }));
    let nonzero = 0;
    for (const v of enc.featureActs.data) if (v !== 0) nonzero++;
    ctx.stdout(`Wrote ${written}: ${enc.rows} rows, d_sae ${enc.config.dSae}, mean L0 ${(nonzero / Math.max(1, enc.rows)).toFixed(2)} (execution provider: ${enc.report.running}).`);
    return 0;
  },
};
