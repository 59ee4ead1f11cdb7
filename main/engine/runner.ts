import * as ort from 'onnxruntime-node';
import { WorkbenchError } from '../errors';
import type { SaeWeights } from '../formats/sae';
import type { Tensor32 } from '../formats/tensor';
import type { TransformerWeights } from '../formats/transformer';
import type { DeviceChoice, EpReport } from './executionProviders';
import { parseHook, parseStartHook } from './hooks';
import { ACTIVATION_INPUT, forwardGraphBuilder, forwardSpecKey, LOGITS_OUTPUT, LOSS_OUTPUT, MASK_INPUT, TARGETS_INPUT, TOKENS_INPUT, type ForwardGraphSpec } from './modelGraph';
import { saeGraphBuilder, SAE_INPUT, saeSpecKey, type SaeOutput } from './saeGraph';
import { cachedSession, weightsId } from './session';

export interface RunOptions {
  logits?: boolean;
  /** Next-token cross-entropy per position, computed in the graph (see ModelRun.loss). */
  loss?: boolean;
  device?: DeviceChoice;
  /** Sequences (windows) per ORT call; default 8. */
  batchSize?: number;
}

/** Per input sequence: each hook as [len, d], logits as [len, dVocab] when asked. */
export interface ModelRun {
  hooks: Record<string, Tensor32[]>;
  logits: Tensor32[] | null;
  /**
   * When asked: per sequence, entry p = -ln p(token p+1 | tokens <= p) in nats; runModel returns
   * [len - 1] (every position that has a next token, across nCtx windows too).
   */
  loss: Tensor32[] | null;
  report: EpReport;
}

function validateTokens(weights: TransformerWeights, sequences: number[][]): void {
  const v = weights.config.dVocab;
  sequences.forEach((seq, s) => {
    if (seq.length === 0) throw new WorkbenchError('ENGINE_EMPTY_SEQUENCE', `Sequence ${s} has no tokens.`, 'Give every sequence at least one token.');
    seq.forEach((t, p) => {
      if (!Number.isInteger(t) || t < 0 || t >= v) {
        throw new WorkbenchError('ENGINE_TOKEN_OUT_OF_VOCAB', `Token id ${t} (sequence ${s}, position ${p}) is outside the vocabulary of "${weights.config.name}" (d_vocab ${v}: ids 0..${v - 1}).`, 'Use the tokenizer that belongs to this model.');
      }
    });
  });
}

/** One unit of work: a slice of an input sequence no longer than nCtx. */
interface Window {
  seq: number;
  offset: number;
  length: number;
}

/**
 * Sequences longer than nCtx are cut into non-overlapping windows of nCtx tokens, each run as
 * its own context (no state carries over), and the outputs are stitched back in order.
 */
function windowsOf(lengths: number[], nCtx: number): Window[] {
  const out: Window[] = [];
  lengths.forEach((len, seq) => {
    for (let offset = 0; offset < len; offset += nCtx) out.push({ seq, offset, length: Math.min(nCtx, len - offset) });
  });
  return out;
}

interface BatchInput {
  /** Builds the non-mask feeds for these windows padded to `width`. */
  feeds(batch: Window[], width: number): Record<string, ort.Tensor>;
  /** Target id for position `p` of sequence `seq` (-1: none); needed when loss is asked. */
  target?(seq: number, p: number): number;
}

async function runBatched(
  weights: TransformerWeights,
  spec: ForwardGraphSpec,
  lengths: number[],
  input: BatchInput,
  opts: RunOptions,
): Promise<ModelRun> {
  const c = weights.config;
  const device = opts.device ?? 'auto';
  const { session, report } = await cachedSession(`${weightsId(weights)}|${forwardSpecKey(spec)}`, device, () => forwardGraphBuilder(weights, spec));
  const hookNames = [...new Set(spec.hooks)];
  // Filled per window: a window that is a whole unpadded sequence becomes a view of ORT's output
  // buffer (no copy); others are copied into a per-sequence array allocated on first use.
  const slots = (d: number) => lengths.map((len) => ({ data: new Float32Array(0), shape: [len, d] }));
  const hooks: Record<string, Tensor32[]> = Object.fromEntries(hookNames.map((h) => [h, slots(c.dModel)]));
  const logits = spec.logits ? slots(c.dVocab) : null;
  const loss = spec.loss ? slots(1) : null;
  if (loss && !input.target) throw new WorkbenchError('ENGINE_LOSS_TARGETS', 'Loss was asked for without target tokens.', 'Pass the token ids (targets) with the activations.');
  const windows = windowsOf(lengths, c.nCtx);
  const batchSize = Math.max(1, opts.batchSize ?? 8);
  for (let b = 0; b < windows.length; b += batchSize) {
    const batch = windows.slice(b, b + batchSize);
    const width = Math.max(...batch.map((w) => w.length));
    const feeds = input.feeds(batch, width);
    if (session.inputNames.includes(MASK_INPUT)) {
      const mask = new BigInt64Array(batch.length * width);
      batch.forEach((w, i) => mask.fill(1n, i * width, i * width + w.length));
      feeds[MASK_INPUT] = new ort.Tensor('int64', mask, [batch.length, width]);
    }
    if (loss) {
      const targets = new BigInt64Array(batch.length * width).fill(-1n);
      batch.forEach((w, i) => {
        for (let p = 0; p < w.length; p++) targets[i * width + p] = BigInt(input.target!(w.seq, w.offset + p));
      });
      feeds[TARGETS_INPUT] = new ort.Tensor('int64', targets, [batch.length, width]);
    }
    // Preallocated outputs: ORT writes straight into JS memory instead of returning a copy.
    const fetches: Record<string, ort.Tensor> = {};
    const prealloc = (name: string, d: number) => (fetches[name] = new ort.Tensor('float32', new Float32Array(batch.length * width * d), [batch.length, width, d]));
    for (const h of hookNames) prealloc(h, c.dModel);
    if (logits) prealloc(LOGITS_OUTPUT, c.dVocab);
    if (loss) fetches[LOSS_OUTPUT] = new ort.Tensor('float32', new Float32Array(batch.length * width), [batch.length, width]);
    await session.run(feeds, fetches);
    const scatter = (name: string, targets: Tensor32[], d: number) => {
      const data = fetches[name].data as Float32Array;
      batch.forEach((w, i) => {
        const rows = data.subarray(i * width * d, (i * width + w.length) * d);
        const target = targets[w.seq];
        if (w.offset === 0 && w.length === lengths[w.seq]) target.data = rows;
        else {
          if (target.data.length === 0) target.data = new Float32Array(lengths[w.seq] * d);
          target.data.set(rows, w.offset * d);
        }
      });
    };
    for (const h of hookNames) scatter(h, hooks[h], c.dModel);
    if (logits) scatter(LOGITS_OUTPUT, logits, c.dVocab);
    if (loss) scatter(LOSS_OUTPUT, loss, 1);
  }
  return { hooks, logits, loss: loss?.map((t) => ({ data: t.data, shape: [t.shape[0]] })) ?? null, report };
}

/** Drops each sequence's last loss entry: it has no next token. */
export function trimLastLoss(run: ModelRun): ModelRun {
  if (!run.loss) return run;
  return { ...run, loss: run.loss.map((t) => ({ data: t.data.subarray(0, Math.max(0, t.shape[0] - 1)), shape: [Math.max(0, t.shape[0] - 1)] })) };
}

/**
 * Runs the model on token sequences (any lengths; right-padded into batches with an attention
 * mask) and returns the requested TransformerLens hooks and optionally logits per sequence.
 */
export async function runModel(weights: TransformerWeights, tokens: number[][], hooks: string[], opts: RunOptions = {}): Promise<ModelRun> {
  for (const h of hooks) parseHook(h, weights.config.nLayers);
  validateTokens(weights, tokens);
  const spec: ForwardGraphSpec = { hooks, logits: opts.logits ?? false, loss: opts.loss ?? false };
  const run = await runBatched(weights, spec, tokens.map((t) => t.length), {
    target: (seq, p) => (p + 1 < tokens[seq].length ? tokens[seq][p + 1] : -1),
    feeds(batch, width) {
      const ids = new BigInt64Array(batch.length * width);
      batch.forEach((w, i) => {
        for (let p = 0; p < w.length; p++) ids[i * width + p] = BigInt(tokens[w.seq][w.offset + p]);
      });
      return { [TOKENS_INPUT]: new ort.Tensor('int64', ids, [batch.length, width]) };
    },
  }, opts);
  return trimLastLoss(run);
}

/**
 * Runs the forward from a residual hook: `activations` are per sequence [len, dModel] at
 * `startHook` (e.g. edited by an SAE or a steering vector); returns later hooks and logits.
 * Sequences must fit in nCtx (a window cannot resume mid-context). With `loss`, `targets` gives
 * per sequence the id each position should predict (-1: none, loss 0); loss comes back [len].
 */
export async function runFromHook(weights: TransformerWeights, startHook: string, activations: Tensor32[], hooks: string[], opts: RunOptions & { targets?: number[][] } = {}): Promise<ModelRun> {
  const c = weights.config;
  parseStartHook(startHook, c.nLayers);
  for (const h of hooks) parseHook(h, c.nLayers);
  activations.forEach((a, i) => {
    if (a.shape.length !== 2 || a.shape[1] !== c.dModel) throw new WorkbenchError('ENGINE_ACTIVATION_SHAPE', `Activation ${i} for "${startHook}" has shape [${a.shape.join(', ')}]; the model needs [len, ${c.dModel}].`, 'Pass activations taken at this hook of this model.');
    if (a.shape[0] > c.nCtx || a.shape[0] === 0) throw new WorkbenchError('ENGINE_ACTIVATION_SHAPE', `Activation ${i} has ${a.shape[0]} positions; a segment runs 1..${c.nCtx} (n_ctx).`, 'Split the input into windows of n_ctx tokens first.');
  });
  const spec: ForwardGraphSpec = { start: startHook, hooks, logits: opts.logits ?? false, loss: opts.loss ?? false };
  const targets = opts.targets;
  if (targets) {
    targets.forEach((t, i) => {
      if (t.length !== activations[i]?.shape[0]) throw new WorkbenchError('ENGINE_LOSS_TARGETS', `Targets ${i} has ${t.length} ids for ${activations[i]?.shape[0]} positions.`, 'Give one target id (or -1) per position.');
    });
    targets.forEach((t, s) =>
      t.forEach((id, p) => {
        if (id !== -1 && (!Number.isInteger(id) || id < 0 || id >= c.dVocab)) {
          throw new WorkbenchError('ENGINE_TOKEN_OUT_OF_VOCAB', `Target id ${id} (sequence ${s}, position ${p}) is outside the vocabulary (d_vocab ${c.dVocab}).`, 'Targets are next-token ids, or -1 where there is none.');
        }
      }),
    );
  }
  return runBatched(weights, spec, activations.map((a) => a.shape[0]), {
    target: targets ? (seq, p) => targets[seq][p] : undefined,
    feeds(batch, width) {
      const x = new Float32Array(batch.length * width * c.dModel);
      batch.forEach((w, i) => x.set(activations[w.seq].data.subarray(w.offset * c.dModel, (w.offset + w.length) * c.dModel), i * width * c.dModel));
      return { [ACTIVATION_INPUT]: new ort.Tensor('float32', x, [batch.length, width, c.dModel]) };
    },
  }, opts);
}

export interface SaeRun {
  outputs: Partial<Record<SaeOutput, Tensor32 | { data: BigInt64Array; shape: number[] }>>;
  report: EpReport;
}

/** Rows per ORT call: bounds the dense [rows, d_sae] intermediate to ~256 MB. */
function saeRowChunk(dSae: number): number {
  return Math.max(1, Math.min(8192, Math.floor((64 * 1024 * 1024) / dSae)));
}

/**
 * Encodes/decodes activations x [n, d_in] with an SAE (sae_lens v6 semantics); returns the
 * requested outputs for all rows. Rows go through in chunks, each written by ORT straight into
 * its slice of the result (no copies).
 */
export async function runSae(sae: SaeWeights, x: Tensor32, outputs: SaeOutput[], opts: { device?: DeviceChoice; sparseK?: number; rowChunk?: number } = {}): Promise<SaeRun> {
  const c = sae.config;
  const width = x.shape[x.shape.length - 1];
  if (width !== c.dIn) throw new WorkbenchError('ENGINE_SAE_WIDTH', `The SAE for "${c.hookName}" has d_in ${c.dIn}, but the activations are ${width} wide (shape [${x.shape.join(', ')}]).`, 'Use activations from the hook and model the SAE was trained on.');
  const n = x.data.length / width;
  const wanted = [...new Set(outputs)];
  // TopK acts are k per row: ORT returns them sparse and they are scattered into zeros here, which
  // costs far less than ScatterElements over a dense [rows, d_sae] tensor inside the graph.
  const densifyHere = c.architecture === 'topk' && wanted.includes('feature_acts');
  const graphOutputs = densifyHere ? [...new Set([...wanted.filter((o) => o !== 'feature_acts'), 'feature_indices', 'feature_values'] as SaeOutput[])] : wanted;
  const spec = { outputs: graphOutputs, sparseK: opts.sparseK };
  const { session, report } = await cachedSession(`${weightsId(sae)}|${saeSpecKey(spec)}`, opts.device ?? 'auto', () => saeGraphBuilder(sae, spec));
  const sparseWidth = c.architecture === 'topk' ? (c.k as number) : (opts.sparseK ?? 64);
  const cols: Record<SaeOutput, number> = { feature_acts: c.dSae, sae_out: c.dIn, sae_error: c.dIn, feature_indices: sparseWidth, feature_values: sparseWidth };
  const alloc = (o: SaeOutput) => ({ data: o === 'feature_indices' ? new BigInt64Array(n * cols[o]) : new Float32Array(n * cols[o]), shape: [n, cols[o]] }) as Tensor32;
  const out: SaeRun['outputs'] = {};
  for (const o of new Set([...wanted, ...graphOutputs])) out[o] = alloc(o);
  const chunk = Math.max(1, opts.rowChunk ?? saeRowChunk(c.dSae));
  for (let r = 0; r < n; r += chunk) {
    const rows = Math.min(chunk, n - r);
    const fetches: Record<string, ort.Tensor> = {};
    for (const o of graphOutputs) {
      const all = out[o]!.data;
      const view = all.subarray(r * cols[o], (r + rows) * cols[o]);
      fetches[o] = view instanceof BigInt64Array ? new ort.Tensor('int64', view, [rows, cols[o]]) : new ort.Tensor('float32', view as Float32Array, [rows, cols[o]]);
    }
    await session.run({ [SAE_INPUT]: new ort.Tensor('float32', x.data.subarray(r * width, (r + rows) * width), [rows, width]) }, fetches);
  }
  if (densifyHere) {
    const idx = out.feature_indices!.data as BigInt64Array;
    const vals = out.feature_values!.data as Float32Array;
    const dense = out.feature_acts!.data as Float32Array;
    for (let row = 0; row < n; row++) for (let j = row * sparseWidth; j < (row + 1) * sparseWidth; j++) dense[row * c.dSae + Number(idx[j])] = vals[j];
    if (!wanted.includes('feature_indices')) delete out.feature_indices;
    if (!wanted.includes('feature_values')) delete out.feature_values;
  }
  return { outputs: out, report };
}
