/**
 * Documents as the model sees them: token ids (BOS first when the SAE or model prepends it), cut
 * into consecutive context windows. Positions count tokens from 0 within a document, BOS
 * included, across windows: so two runs over the same dataset with the same tokenizer line up by
 * (document, position), which is what every cross-model view relies on.
 */
import type { WorkbenchTokenizer } from '../tokenize/tokenizer';
import type { DatasetDocument } from './documentReader';

export interface TokenizedDocument {
  document: number;
  /** Token ids; tokens[0] is BOS when `bos`. */
  tokens: number[];
  bos: boolean;
}

/** A slice of one document, at most contextSize tokens, run by the model as its own context. */
export interface TokenWindow {
  document: number;
  /** Position (within the document) of tokens[0]. */
  start: number;
  tokens: number[];
}

export function tokenizeDocument(tokenizer: WorkbenchTokenizer, doc: DatasetDocument, prependBos: boolean): TokenizedDocument {
  return { document: doc.document, tokens: tokenizer.encode(doc.text, { prependBos }), bos: prependBos };
}

/**
 * Non-overlapping windows of `contextSize` tokens. Later windows start mid-document without a
 * BOS of their own, as the engine runs over-long inputs (runner.ts) and as a model sees a
 * document that continues past its context.
 */
export function contextWindows(doc: TokenizedDocument, contextSize: number): TokenWindow[] {
  const out: TokenWindow[] = [];
  for (let start = 0; start < doc.tokens.length; start += contextSize) out.push({ document: doc.document, start, tokens: doc.tokens.slice(start, start + contextSize) });
  return out;
}

/** Whether position `p` of a document is its BOS (excluded from statistics and evals, as sae_lens does). */
export function isBosPosition(doc: Pick<TokenizedDocument, 'bos'>, position: number): boolean {
  return doc.bos && position === 0;
}

/**
 * THE rule for which positions of a window count, shared by training rows, held-out evals, the
 * feature index and experiments (so they agree): with a BOS model, position 0 of EVERY window is
 * left out: the document's BOS, or the first token of a continuation window, which the model runs
 * with no BOS and nothing before it. That token is an attention-sink outlier on GPT-2-like models,
 * and sae_lens never trains on one (it gives every context its own BOS). Without BOS every
 * position counts, as in sae_lens with prepend_bos false.
 */
export function isUncountedPosition(bos: boolean, positionInWindow: number): boolean {
  return bos && positionInWindow === 0;
}

/** The positions (within the window) that count. */
export function countedPositions(w: TokenWindow, bos: boolean): number[] {
  const out: number[] = [];
  for (let p = 0; p < w.tokens.length; p++) if (!isUncountedPosition(bos, p)) out.push(p);
  return out;
}

/** The same rule by document position, for windows cut every `contextSize` tokens from position 0 (contextWindows). */
export function isUncountedDocumentPosition(bos: boolean, position: number, contextSize: number): boolean {
  return isUncountedPosition(bos, position % contextSize);
}

/** How many positions of a `length`-token document count, cut into windows of `contextSize`. */
export function countedTokenCount(length: number, bos: boolean, contextSize: number): number {
  return bos ? length - Math.ceil(length / contextSize) : length;
}

/** The fewest leading tokens of a document that hold `counted` positions that count (cutting at --max-tokens). */
export function tokensHoldingCounted(counted: number, bos: boolean, contextSize: number): number {
  let length = Math.max(0, counted);
  while (countedTokenCount(length, bos, contextSize) < counted) length++;
  return length;
}
