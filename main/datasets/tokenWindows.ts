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
