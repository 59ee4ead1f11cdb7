/**
 * SAE feature activations and reconstruction of given activations, as `sae-workbench encode`
 * writes them and the API's engine.encode returns them: `feature_acts` [n, d_sae] and `sae_out`
 * [n, d_in], float32, leading dimensions flattened into n (sae_lens v6 semantics).
 */
import type { Tensor } from '../../preload/api';
import type { DeviceChoice, EpReport } from '../engine/executionProviders';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { runSae } from '../engine/runner';
import { WorkbenchError } from '../errors';
import { requireFiniteTensor } from '../formats/finiteValues';
import type { SaeConfig } from '../formats/sae';
import { loadSae } from '../formats/saeLoader';
import type { Tensor32 } from '../formats/tensor';

export interface SaeEncoding {
  config: SaeConfig;
  rows: number;
  featureActs: Tensor32;
  saeOut: Tensor32;
  report: EpReport;
}

/** `source` names the activations in messages (a file and tensor name, or an API parameter). */
export async function encodeActivations(saeDir: string, x: Tensor32, source: string, device: DeviceChoice): Promise<SaeEncoding> {
  const sae = loadSae(saeDir);
  requireFiniteTensor(x.data, source, 'Activations with NaN or infinite values cannot be encoded; recompute them (a model with damaged weights or an overflow produced them).');
  if (x.shape.length < 1) throw new WorkbenchError('BAD_ARGUMENT', `${source} is a scalar.`, 'Pass activations shaped [n, d_in] (or [..., d_in]).');
  const width = x.shape[x.shape.length - 1];
  if (width !== sae.config.dIn) {
    throw new WorkbenchError('ENGINE_SAE_WIDTH', `${source} is [${x.shape.join(', ')}], ${width} wide, but the SAE in ${saeDir} has d_in ${sae.config.dIn} (hook ${sae.config.hookName}).`, `Save activations at ${sae.config.hookName} of ${sae.config.modelName ?? "the SAE's model"}.`);
  }
  const n = width === 0 ? 0 : x.data.length / width;
  const run = await runSae(sae, { data: x.data, shape: [n, width] }, ['feature_acts', 'sae_out'], { device });
  const featureActs = run.outputs.feature_acts as Tensor32;
  const saeOut = run.outputs.sae_out as Tensor32;
  requireFiniteOutputs({ feature_acts: featureActs, sae_out: saeOut }, `encode with ${saeDir}`);
  return { config: sae.config, rows: n, featureActs: { data: featureActs.data, shape: [n, sae.config.dSae] }, saeOut: { data: saeOut.data, shape: [n, width] }, report: run.report };
}

/** The nonzero entries of a dense [n, d] float32 matrix as COO: indices [2, nnz] (row, column) int64, values [nnz]. */
export function sparseEntries(dense: Tensor32): { indices: Tensor; values: Tensor } {
  const [n, d] = dense.shape;
  let nnz = 0;
  for (const v of dense.data) if (v !== 0) nnz++;
  const indices = new BigInt64Array(2 * nnz);
  const values = new Float32Array(nnz);
  let j = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < d; c++) {
      const v = dense.data[r * d + c];
      if (v === 0) continue;
      indices[j] = BigInt(r);
      indices[nnz + j] = BigInt(c);
      values[j++] = v;
    }
  }
  return { indices: { dtype: 'I64', shape: [2, nnz], data: indices }, values: { dtype: 'F32', shape: [nnz], data: values } };
}
