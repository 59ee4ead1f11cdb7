/**
 * engine.acts and engine.encode as the interactive worker runs them (main/interactiveRequests.ts):
 * the CLI's `acts` and `encode` computations, returned as contract tensors.
 */
import type { ActsParams, ActsResult, EncodeParams, EncodeResult } from '../../preload/api';
import { WorkbenchError } from '../errors';
import { computeHookActivations, unusedProviderNotes } from './hookActivations';
import { encodeActivations, sparseEntries } from './saeEncoding';

function tokenIds(t: NonNullable<ActsParams['tokens']>): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v, i) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new WorkbenchError('BAD_ARGUMENT', `tokens[${i}] is ${String(v)}, not a token id.`, 'Token ids are non-negative integers.');
    return n;
  });
}

export async function actsRequest(p: ActsParams): Promise<ActsResult> {
  const acts = await computeHookActivations(p.model, p.tokens ? { tokens: tokenIds(p.tokens) } : { text: p.text ?? '' }, p.hooks, { logits: p.logits, device: p.device });
  return { model: acts.model, executionProvider: acts.report.running, notes: unusedProviderNotes(acts.report), tensors: acts.tensors };
}

export async function encodeRequest(p: EncodeParams): Promise<EncodeResult> {
  const enc = await encodeActivations(p.sae, { data: p.acts.data as Float32Array, shape: p.acts.shape }, `acts (shape [${p.acts.shape.join(', ')}])`, p.device);
  const shape: [number, number] = [enc.rows, enc.config.dSae];
  return {
    sae: p.sae,
    hookName: enc.config.hookName,
    executionProvider: enc.report.running,
    shape,
    sae_out: { dtype: 'F32', shape: enc.saeOut.shape, data: enc.saeOut.data },
    feature_acts: p.format === 'dense' ? { dtype: 'F32', shape, data: enc.featureActs.data } : null,
    feature_acts_sparse: p.format === 'sparse' ? sparseEntries(enc.featureActs) : null,
  };
}
