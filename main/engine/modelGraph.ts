import { WorkbenchError } from '../errors';
import type { LayerNormWeights, TransformerBlockWeights, TransformerWeights } from '../formats/transformer';
import { checkHookInModel, hookPhase, LOGITS_PHASE, LN_FINAL_HOOK, parseHook, parseStartHook, type ParsedHook } from './hooks';
import { GraphBuilder, type Value } from './onnx/graphBuilder';
import { gatedHiddenGraph, gateWeight } from './gatedMlp';
import { kvHeadsOf, repeatKvHeads } from './groupedQuery';
import { rmsNormGraph } from './rmsNorm';
import { RotaryGraph, rotaryOf } from './rotary';

export interface ForwardGraphSpec {
  /** Residual hook to start from (input "activation" [batch, seq, dModel]); tokens when absent. */
  start?: string;
  /** TransformerLens hook names to return, each as an output of that name. */
  hooks: string[];
  /** Also return "logits" [batch, seq, dVocab]. */
  logits: boolean;
  /**
   * Also return "loss" [batch, seq]: -log p(target) from input "targets" int64 [batch, seq]
   * (-1 where a position has no target, giving 0). Computed in the graph so CE evaluations need
   * not move [batch, seq, dVocab] logits out.
   */
  loss?: boolean;
}

export const TOKENS_INPUT = 'tokens';
export const MASK_INPUT = 'attention_mask';
export const ACTIVATION_INPUT = 'activation';
export const LOGITS_OUTPUT = 'logits';
export const TARGETS_INPUT = 'targets';
export const LOSS_OUTPUT = 'loss';

export const SUPPORTED_ACTIVATIONS = ['gelu_new', 'gelu', 'relu', 'silu'] as const;

function checkArchitecture(w: TransformerWeights): void {
  const c = w.config;
  if (!(SUPPORTED_ACTIVATIONS as readonly string[]).includes(c.activation)) {
    throw new WorkbenchError('ENGINE_UNKNOWN_ARCHITECTURE', `Model "${c.name}": activation "${c.activation}" is not supported by the engine.`, `Supported activations: ${SUPPORTED_ACTIVATIONS.join(', ')}.`);
  }
  if (c.normalization !== 'LN' && c.normalization !== 'LNPre' && c.normalization !== 'RMS') {
    throw new WorkbenchError('ENGINE_UNKNOWN_ARCHITECTURE', `Model "${c.name}": normalization "${String(c.normalization)}" is not supported.`, 'Supported: LN, LNPre, RMS.');
  }
  kvHeadsOf(c);
  if (c.positional === 'rotary') rotaryOf(c);
  else if (c.positional !== 'learned') {
    throw new WorkbenchError('ENGINE_UNKNOWN_ARCHITECTURE', `Model "${c.name}": positional embedding "${String(c.positional)}" is not supported.`, 'Supported: learned (GPT-2 style) and rotary (GPT-NeoX style).');
  }
  if (w.blocks.length !== c.nLayers) {
    throw new WorkbenchError('ENGINE_WEIGHTS', `Model "${c.name}": config says ${c.nLayers} layers but ${w.blocks.length} blocks were loaded.`, 'The weight files are incomplete or do not match config.json.');
  }
  if (c.gatedMlp) w.blocks.forEach((b, l) => gateWeight(c, b, l));
  if (c.normalization === 'RMS') {
    const missing = [...w.blocks.flatMap((b, l) => [[`blocks.${l}.ln1`, b.ln1], [`blocks.${l}.ln2`, b.ln2]] as const), ['ln_final', w.lnFinal] as const].find(([, ln]) => !ln.w);
    if (missing) throw new WorkbenchError('ENGINE_WEIGHTS', `Model "${c.name}": RMSNorm ${missing[0]} has no weight.`, 'Load the model with a loader that reads its norm weights.');
  }
}

/** Concatenates [d, n] matrices along columns (head-major layout is kept within each). */
function concatColumns(mats: Float32Array[], rows: number, cols: number[], scales: number[]): Float32Array {
  const total = cols.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let off = r * total;
    mats.forEach((m, i) => {
      const c = cols[i];
      const s = scales[i];
      for (let j = 0; j < c; j++) out[off + j] = m[r * c + j] * s;
      off += c;
    });
  }
  return out;
}

/**
 * Builds a forward graph over `weights`: from tokens (or a residual hook), through only the
 * phases the requested outputs need, to those hooks and optionally logits.
 */
export function buildForwardGraph(weights: TransformerWeights, spec: ForwardGraphSpec): Uint8Array {
  return forwardGraphBuilder(weights, spec).toBytes();
}

/** The forward graph unserialized, so large models can go to external data files. */
export function forwardGraphBuilder(weights: TransformerWeights, spec: ForwardGraphSpec): GraphBuilder {
  checkArchitecture(weights);
  const c = weights.config;
  const n = c.nLayers;
  const g = new GraphBuilder(`${c.name}-forward`);
  const requested = [...new Set(spec.hooks)].map((h) => parseHook(h, n));
  for (const h of requested) checkHookInModel(c, h);
  const rotary = c.positional === 'rotary';
  const parallel = c.parallelAttnMlp === true;
  if (requested.length === 0 && !spec.logits && !spec.loss) throw new WorkbenchError('ENGINE_NO_OUTPUTS', 'The forward was asked for no hooks, no logits and no loss.', 'Ask for at least one hook, logits or loss.');
  const endPhase = Math.max(spec.logits || spec.loss ? LOGITS_PHASE(n) : 0, ...requested.map((h) => hookPhase(h, n)));
  const wanted = new Set(spec.hooks);

  const values = new Map<string, Value>();
  const hidden = ['batch', 'seq', c.dModel];
  let resid: Value;
  let startPhase: number;
  let mask: Value | null = null;
  let seqLen: Value;

  const ensureMask = (): Value => {
    if (!mask) mask = g.input(MASK_INPUT, 'int64', ['batch', 'seq']);
    return mask;
  };

  if (spec.start === undefined) {
    const tokens = g.input(TOKENS_INPUT, 'int64', ['batch', 'seq']);
    seqLen = g.shape(tokens, 1, 2);
    const embed = g.gather(g.initializerF32(weights.W_E.data, weights.W_E.shape, 'W_E'), tokens);
    values.set('hook_embed', g.reshape(embed, g.ints([-1, c.dModel])));
    if (rotary) resid = values.get('hook_embed')!;
    else {
      const pos = g.slice(g.initializerF32(weights.W_pos.data, weights.W_pos.shape, 'W_pos'), g.ints([0]), seqLen, g.ints([0]));
      if (wanted.has('hook_pos_embed')) values.set('hook_pos_embed', g.reshape(g.expand(pos, g.shape(embed)), g.ints([-1, c.dModel])));
      resid = g.reshape(g.add(embed, pos), g.ints([-1, c.dModel]));
    }
    values.set('blocks.0.hook_resid_pre', resid);
    startPhase = 0;
  } else {
    const start = parseStartHook(spec.start, n);
    checkHookInModel(c, start);
    const activation = g.input(ACTIVATION_INPUT, 'float32', hidden);
    seqLen = g.shape(activation, 1, 2);
    resid = g.reshape(activation, g.ints([-1, c.dModel]));
    values.set(start.name, resid);
    startPhase = hookPhase(start, n);
    if (start.point === 'hook_resid_post' && start.layer + 1 < n) values.set(`blocks.${start.layer + 1}.hook_resid_pre`, resid);
    if (start.point === 'hook_resid_pre' && start.layer > 0) values.set(`blocks.${start.layer - 1}.hook_resid_post`, resid);
  }

  // The residual stream is kept 2-D [batch*seq, d] so every linear layer is one Gemm with its
  // bias fused; outputs are reshaped back to [batch, seq, d].
  const unflatten = (v: Value, width: number): Value => g.reshape(v, g.concat([g.ints([-1]), seqLen, g.ints([width])], 0));

  // Unembed in 3-D so the (large) logits come out of the MatMul already shaped, with no reshape
  // copy; GPT-2 has no output bias, so its Add is skipped. Built once for logits and loss.
  let logitsValue: Value | null = null;
  const unembed = (normalized: Value): Value => {
    if (logitsValue) return logitsValue;
    logitsValue = g.matmul(unflatten(normalized, c.dModel), g.initializerF32(weights.W_U.data, [c.dModel, c.dVocab], 'W_U'));
    if (weights.b_U.data.some((v) => v !== 0)) logitsValue = g.add(logitsValue, g.initializerF32(weights.b_U.data, [c.dVocab], 'b_U'));
    return logitsValue;
  };

  const lnParams = (ln: LayerNormWeights): [Value, Value] => {
    if (c.normalization === 'LNPre' || !ln.w) return [g.initializerF32(new Float32Array(c.dModel).fill(1), [c.dModel], 'ln_one'), g.initializerF32(new Float32Array(c.dModel), [c.dModel], 'ln_zero')];
    return [g.initializerF32(ln.w.data, [c.dModel], 'ln_w'), ln.b ? g.initializerF32(ln.b.data, [c.dModel], 'ln_b') : g.initializerF32(new Float32Array(c.dModel), [c.dModel], 'ln_zero')];
  };
  const layerNorm = (x: Value, ln: LayerNormWeights): Value => {
    if (c.normalization === 'RMS') return rmsNormGraph(g, x, g.initializerF32(ln.w!.data, [c.dModel], 'rms_w'), c.lnEps);
    const [w, b] = lnParams(ln);
    return g.layerNorm(x, w, b, c.lnEps);
  };

  // Additive attention bias [batch, 1, seq, seq]: 0 where a query may see a key (causal and not
  // padding), -1e9 elsewhere; built once and shared by every layer.
  let attnBias: Value | null = null;
  const ensureBias = (): Value => {
    if (attnBias) return attnBias;
    const seqScalar = g.gather(seqLen, g.intScalar(0));
    const positions = g.range(g.intScalar(0), seqScalar, g.intScalar(1));
    const causal = g.lessOrEqual(g.unsqueeze(positions, [0]), g.unsqueeze(positions, [1]));
    const keyOk = g.cast(g.unsqueeze(ensureMask(), [1, 2]), 'bool');
    attnBias = g.where(g.and(causal, keyOk), g.scalar(0), g.scalar(-1e9));
    return attnBias;
  };

  // Positions are the sequence index (0..seq-1) in full and segment graphs alike.
  const rotaryGraph = rotary ? new RotaryGraph(g, rotaryOf(c), c.dHead, c.nCtx, seqLen) : null;
  const rotate = (x: Value): Value => (rotaryGraph ? rotaryGraph.apply(x) : x);

  const nKv = kvHeadsOf(c);
  // Q, K, V as [batch, seq, heads, dHead]; with grouped-query attention K and V have nKv heads.
  const projectQkv = (x: Value, b: TransformerBlockWeights): [Value, Value, Value] => {
    const hd = c.nHeads * c.dHead;
    const kvd = nKv * c.dHead;
    // 1/attnScale is folded into W_Q, b_Q so the [b,H,s,s] scores need no extra pass.
    const qs = 1 / c.attnScale;
    const W = concatColumns([b.W_Q.data, b.W_K.data, b.W_V.data], c.dModel, [hd, kvd, kvd], [qs, 1, 1]);
    const bias = concatColumns([b.b_Q.data, b.b_K.data, b.b_V.data], 1, [hd, kvd, kvd], [qs, 1, 1]);
    const qkv = g.gemm(x, g.initializerF32(W, [c.dModel, hd + 2 * kvd], 'W_qkv'), g.initializerF32(bias, [hd + 2 * kvd], 'b_qkv'));
    if (nKv === c.nHeads) {
      const split = g.reshape(qkv, g.concat([g.ints([-1]), seqLen, g.ints([3, c.nHeads, c.dHead])], 0));
      return [0, 1, 2].map((i) => g.gather(split, g.intScalar(i), 2)) as [Value, Value, Value];
    }
    const heads = g.reshape(qkv, g.concat([g.ints([-1]), seqLen, g.ints([c.nHeads + 2 * nKv, c.dHead])], 0));
    const part = (from: number, to: number) => g.slice(heads, g.ints([from]), g.ints([to]), g.ints([2]));
    return [part(0, c.nHeads), part(c.nHeads, c.nHeads + nKv), part(c.nHeads + nKv, c.nHeads + 2 * nKv)];
  };

  const attention = (x: Value, b: TransformerBlockWeights): Value => {
    const hd = c.nHeads * c.dHead;
    const [q0, k0, v0] = projectQkv(x, b);
    // Rotate the nKv key heads before repeating them: the same result with less work.
    const q = g.transpose(rotate(q0), [0, 2, 1, 3]);
    const kT = g.transpose(repeatKvHeads(g, rotate(k0), nKv, c.nHeads, c.dHead, seqLen), [0, 2, 3, 1]);
    const v = g.transpose(repeatKvHeads(g, v0, nKv, c.nHeads, c.dHead, seqLen), [0, 2, 1, 3]);
    const probs = g.softmax(g.add(g.matmul(q, kT), ensureBias()), -1);
    const z = g.reshape(g.transpose(g.matmul(probs, v), [0, 2, 1, 3]), g.ints([-1, hd]));
    return g.gemm(z, g.initializerF32(b.W_O.data, [hd, c.dModel], 'W_O'), g.initializerF32(b.b_O.data, [c.dModel], 'b_O'));
  };

  const activation = (h: Value): Value => {
    switch (c.activation) {
      case 'relu':
        return g.relu(h);
      case 'silu':
        return g.mul(h, g.sigmoid(h));
      case 'gelu': {
        const e = g.erf(g.mul(h, g.scalar(Math.SQRT1_2)));
        return g.mul(g.mul(h, g.scalar(0.5)), g.add(e, g.scalar(1)));
      }
      default: {
        const cube = g.mul(g.mul(h, h), h);
        const inner = g.mul(g.add(h, g.mul(cube, g.scalar(0.044715))), g.scalar(Math.sqrt(2 / Math.PI)));
        return g.mul(g.mul(h, g.scalar(0.5)), g.add(g.tanh(inner), g.scalar(1)));
      }
    }
  };

  const mlp = (x: Value, b: TransformerBlockWeights): Value => {
    if (c.gatedMlp) {
      const hidden = gatedHiddenGraph(g, x, b, b.W_gate!, c, activation);
      return g.gemm(hidden, g.initializerF32(b.W_out.data, [c.dMlp, c.dModel], 'W_out'), g.initializerF32(b.b_out.data, [c.dModel], 'b_out'));
    }
    const h = g.gemm(x, g.initializerF32(b.W_in.data, [c.dModel, c.dMlp], 'W_in'), g.initializerF32(b.b_in.data, [c.dMlp], 'b_in'));
    return g.gemm(activation(h), g.initializerF32(b.W_out.data, [c.dMlp, c.dModel], 'W_out'), g.initializerF32(b.b_out.data, [c.dModel], 'b_out'));
  };

  let pendingAttn: Value | null = null;
  for (let phase = startPhase + 1; phase <= endPhase; phase++) {
    if (phase === LOGITS_PHASE(n)) {
      const normalized = layerNorm(resid, weights.lnFinal);
      values.set(LN_FINAL_HOOK, normalized);
      if (spec.logits) g.output(unembed(normalized), LOGITS_OUTPUT, 'float32', ['batch', 'seq', c.dVocab]);
      if (spec.loss) g.output(tokenLoss(g, unembed(normalized)), LOSS_OUTPUT, 'float32', ['batch', 'seq']);
      break;
    }
    const layer = (phase - 1) >> 1;
    const block = weights.blocks[layer];
    if (phase % 2 === 1) {
      const attnOut = attention(layerNorm(resid, block.ln1), block);
      values.set(`blocks.${layer}.hook_attn_out`, attnOut);
      // Parallel blocks keep resid (= resid_pre) for the MLP and add attn_out after it.
      if (parallel) pendingAttn = attnOut;
      else {
        resid = g.add(resid, attnOut);
        values.set(`blocks.${layer}.hook_resid_mid`, resid);
      }
    } else {
      const mlpOut = mlp(layerNorm(resid, block.ln2), block);
      values.set(`blocks.${layer}.hook_mlp_out`, mlpOut);
      resid = g.add(parallel ? g.add(resid, pendingAttn!) : resid, mlpOut);
      values.set(`blocks.${layer}.hook_resid_post`, resid);
      if (layer + 1 < n) values.set(`blocks.${layer + 1}.hook_resid_pre`, resid);
    }
  }

  for (const h of requested) {
    const v = values.get(h.name);
    if (!v) throw new WorkbenchError('ENGINE_HOOK_BEFORE_START', `Hook "${h.name}" comes before the segment start "${spec.start}", so this graph cannot return it.`, 'Ask only for hooks at or after the start hook, or run the full forward.');
    g.output(unflatten(v, c.dModel), h.name, 'float32', hidden);
  }
  return g;
}

/** -log softmax(logits)[target] per position; 0 where target < 0 (no next token). */
function tokenLoss(g: GraphBuilder, logits: Value): Value {
  const targets = g.input(TARGETS_INPUT, 'int64', ['batch', 'seq']);
  const logProbs = g.op('LogSoftmax', [logits], { axis: { int: -1 } })[0];
  const safe = g.unsqueeze(g.op('Max', [targets, g.intScalar(0)])[0], [2]);
  const picked = g.op('Squeeze', [g.op('GatherElements', [logProbs, safe], { axis: { int: 2 } })[0], g.ints([2])])[0];
  return g.where(g.op('GreaterOrEqual', [targets, g.intScalar(0)])[0], g.neg(picked), g.scalar(0));
}

/** The session-cache key part that identifies a forward spec. */
export function forwardSpecKey(spec: ForwardGraphSpec): string {
  return `fwd|start=${spec.start ?? 'tokens'}|hooks=${[...spec.hooks].sort().join(',')}|logits=${spec.logits}|loss=${spec.loss ?? false}`;
}

export type { ParsedHook };
