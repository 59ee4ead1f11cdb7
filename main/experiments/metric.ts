/**
 * Experiment metrics, defined once. Each is a mean over scored positions of the measured
 * documents (token-weighted: every scored position counts once, whichever document it is in):
 *
 *   ce                     next-token cross-entropy in nats, -ln p(next | prefix), at every
 *                          non-BOS position that has a next token in its document
 *   logit:<t>              the logit of token t as the next token, at every non-BOS position
 *   prob:<t>, logprob:<t>  its softmax probability / log-probability there
 *   logit-diff:<a>,<b>     logit of a minus logit of b
 *
 * With a token condition only positions where it holds are scored (e.g. the logit of "quickly"
 * at "Step" tokens). A token is written as its text (the vocabulary entry, or text the tokenizer
 * turns into exactly one token, with or without a leading space) or as #<id>.
 */
import type { MetricInfo } from '../../preload/api';
import type { ModelRun } from '../engine/runner';
import { WorkbenchError } from '../errors';
import type { WorkbenchTokenizer } from '../tokenize/tokenizer';
import type { DocumentSlice, SliceWindow } from './documentSlice';

export type MetricKind = 'ce' | 'logit' | 'prob' | 'logprob' | 'logit-diff';

export interface Metric {
  spec: string;
  kind: MetricKind;
  tokenIds: number[];
  label: string;
}

const USAGE = 'Write ce, logit:<token>, prob:<token>, logprob:<token> or logit-diff:<token>,<token>; a token is its text or #<id>.';

export function resolveToken(tokenizer: WorkbenchTokenizer, text: string, vocabSize: number, spec: string): number {
  const id = /^#(\d+)$/.exec(text.trim());
  if (id) {
    const n = Number(id[1]);
    if (n >= vocabSize) throw new WorkbenchError('METRIC_TOKEN', `The metric "${spec}" names token #${n}, outside the vocabulary (0..${vocabSize - 1}).`, USAGE);
    return n;
  }
  const exact = tokenizer.tokenToId(text);
  if (exact !== null) return exact;
  // Text the tokenizer makes into one token that decodes back to it (an unknown word becomes
  // <unk>, which does not).
  for (const candidate of [text, ` ${text}`]) {
    const ids = tokenizer.encode(candidate, { prependBos: false });
    if (ids.length === 1 && tokenizer.decode(ids).trim() === text.trim()) return ids[0];
  }
  const pieces = tokenizer.encode(text, { prependBos: false });
  const why = pieces.length === 1 ? `the tokenizer does not know it (it becomes ${JSON.stringify(tokenizer.decode(pieces))})` : `the tokenizer makes ${pieces.length} tokens of it: ${pieces.map((p) => `#${p}`).join(' ')}`;
  throw new WorkbenchError('METRIC_TOKEN', `The metric "${spec}": "${text}" is not one token of the vocabulary (${why}).`, 'Name a single token of this model\'s vocabulary, or give its id: logit:#1234.');
}

export function parseMetric(spec: string, tokenizer: WorkbenchTokenizer, vocabSize: number): Metric {
  const s = spec.trim();
  if (s === 'ce') return { spec: s, kind: 'ce', tokenIds: [], label: 'next-token cross-entropy (nats)' };
  const colon = s.indexOf(':');
  const kind = colon < 0 ? s : s.slice(0, colon);
  const body = colon < 0 ? '' : s.slice(colon + 1);
  if (!['logit', 'prob', 'logprob', 'logit-diff'].includes(kind)) throw new WorkbenchError('METRIC_INVALID', `"${spec}" is not a metric.`, USAGE);
  if (!body) throw new WorkbenchError('METRIC_INVALID', `The metric "${spec}" needs a token after the colon.`, USAGE);
  const show = (id: number) => JSON.stringify(tokenizer.idToToken(id) ?? `#${id}`);
  if (kind === 'logit-diff') {
    const parts = body.split(',');
    if (parts.length !== 2 || parts.some((p) => p.length === 0)) throw new WorkbenchError('METRIC_INVALID', `The metric "${spec}" needs two tokens separated by a comma.`, USAGE);
    const ids = parts.map((p) => resolveToken(tokenizer, p, vocabSize, spec));
    return { spec: s, kind: 'logit-diff', tokenIds: ids, label: `logit of ${show(ids[0])} minus logit of ${show(ids[1])}` };
  }
  const id = resolveToken(tokenizer, body, vocabSize, spec);
  const what = { logit: 'logit', prob: 'probability', logprob: 'log-probability' }[kind as 'logit' | 'prob' | 'logprob'];
  return { spec: s, kind: kind as MetricKind, tokenIds: [id], label: `${what} of ${show(id)}` };
}

/** Which engine outputs a metric reads. */
export function metricRunOptions(metric: Metric): { loss: boolean; logits: boolean } {
  return metric.kind === 'ce' ? { loss: true, logits: false } : { loss: false, logits: true };
}

/** Positions (within each window) a metric scores: non-BOS, condition, and a next token for ce. */
export function scoredPositions(metric: Metric, windows: SliceWindow[], masks: Uint8Array[]): Int32Array[] {
  return windows.map((w) => {
    const mask = masks[w.doc];
    const out: number[] = [];
    for (let p = 0; p < w.tokens.length; p++) if (mask[w.start + p] && (metric.kind !== 'ce' || w.targets[p] !== -1)) out.push(p);
    return Int32Array.from(out);
  });
}

/** A running token-weighted mean (float64 sum and count), and the sum of |value| for the metric's scale. */
export interface MeanAccumulator {
  sum: number;
  count: number;
  absSum: number;
}

export function accumulatorMean(a: MeanAccumulator): number {
  return a.count === 0 ? NaN : a.sum / a.count;
}

/**
 * The metric's scale on a run: the mean |value| over its scored positions (what a verdict's
 * numerical resolution is relative to). A run resumed from a checkpoint written before the sum of
 * |value| was kept has NaN there; its |mean| stands in, a smaller scale, so never a laxer reading.
 */
export function accumulatorScale(a: MeanAccumulator): number {
  if (a.count === 0) return NaN;
  return Number.isFinite(a.absSum) ? a.absSum / a.count : Math.abs(a.sum / a.count);
}

/** Add one run's values at the scored positions (one entry of `run` per window, same order). */
export function accumulateMetric(metric: Metric, run: ModelRun, scored: Int32Array[], into: MeanAccumulator): void {
  scored.forEach((positions, w) => {
    if (positions.length === 0) return;
    if (metric.kind === 'ce') {
      const loss = run.loss![w].data;
      for (const p of positions) {
        into.sum += loss[p];
        into.absSum += Math.abs(loss[p]);
      }
      into.count += positions.length;
      return;
    }
    const logits = run.logits![w];
    const V = logits.shape[1];
    for (const p of positions) {
      const value = metricValue(metric, logits.data.subarray(p * V, (p + 1) * V));
      into.sum += value;
      into.absSum += Math.abs(value);
    }
    into.count += positions.length;
  });
}

/** The metric at one position from its logits row (float64). */
export function metricValue(metric: Metric, row: ArrayLike<number>): number {
  const [a, b] = metric.tokenIds;
  switch (metric.kind) {
    case 'logit':
      return row[a];
    case 'logit-diff':
      return row[a] - row[b];
    case 'prob':
      return Math.exp(row[a] - logSumExp(row));
    case 'logprob':
      return row[a] - logSumExp(row);
    default:
      throw new Error(`metricValue: ${metric.kind} is not read from logits`);
  }
}

export function logSumExp(row: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i] - max);
  return max + Math.log(s);
}

export function metricInfo(metric: Metric, condition: string | null, positions: number): MetricInfo {
  return { spec: metric.spec, label: metric.label, tokenIds: metric.tokenIds, condition, positions };
}

/** Scored positions of a metric on a slice, refusing a condition that matches nothing. */
export function scoredOrRefuse(metric: Metric, slice: DocumentSlice, masks: Uint8Array[], condition: string | null) {
  const scored = scoredPositions(metric, slice.windows, masks);
  const positions = scored.reduce((a, s) => a + s.length, 0);
  if (positions === 0) {
    throw new WorkbenchError(
      'EXPERIMENT_NO_POSITIONS',
      `No position of the ${slice.info.documents} measured documents of ${slice.info.dataset} is scored${condition ? ` (the condition ${condition} matches none)` : ''}.`,
      condition ? 'Check the condition in the Compare page\'s preview, or measure more documents.' : 'Measure more (or longer) documents.',
    );
  }
  return { scored, positions };
}
