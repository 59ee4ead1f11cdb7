import { WorkbenchError } from '../errors';
import { encodeSafetensors, readSafetensors, readTensor32 } from '../formats/safetensors';
import { planOutput, writeOutputFile } from '../outputs/outputPath';
import { loadSae } from '../formats/saeLoader';
import { parseDeviceChoice } from '../engine/executionProviders';
import { runSae } from '../engine/runner';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { requireFiniteTensor } from '../formats/finiteValues';
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
    const sae = loadSae(saeDir);
    const t = readTensor32(readSafetensors(input), name);
    requireFiniteTensor(t.data, `${input}: tensor "${name}"`, 'Activations with NaN or infinite values cannot be encoded; recompute them (a model with damaged weights or an overflow produced them).');
    if (t.shape.length < 1) throw new WorkbenchError('BAD_ARGUMENT', `${input}: tensor "${name}" is a scalar.`, 'Pass activations shaped [n, d_in] (or [..., d_in]).');
    const width = t.shape[t.shape.length - 1];
    if (width !== sae.config.dIn) {
      throw new WorkbenchError('ENGINE_SAE_WIDTH', `${input}: tensor "${name}" is [${t.shape.join(', ')}], ${width} wide, but the SAE in ${saeDir} has d_in ${sae.config.dIn} (hook ${sae.config.hookName}).`, `Save activations at ${sae.config.hookName} of ${sae.config.modelName ?? 'the SAE\'s model'}.`);
    }
    const n = t.data.length / width;
    const run = await runSae(sae, { data: t.data, shape: [n, width] }, ['feature_acts', 'sae_out'], { device });
    const acts = run.outputs.feature_acts!;
    const rec = run.outputs.sae_out!;
    requireFiniteOutputs({ feature_acts: acts, sae_out: rec }, `encode with ${saeDir}`);
    const written = writeOutputFile(out, encodeSafetensors({
      feature_acts: { dtype: 'F32', shape: [n, sae.config.dSae], data: acts.data as Float32Array },
      sae_out: { dtype: 'F32', shape: [n, width], data: rec.data as Float32Array },
    }, { sae: saeDir, hook_name: sae.config.hookName, execution_provider: run.report.running }));
    let nonzero = 0;
    for (const v of acts.data as Float32Array) if (v !== 0) nonzero++;
    ctx.stdout(`Wrote ${written}: ${n} rows, d_sae ${sae.config.dSae}, mean L0 ${(nonzero / Math.max(1, n)).toFixed(2)} (execution provider: ${run.report.running}).`);
    return 0;
  },
};
