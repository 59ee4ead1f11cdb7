/**
 * The documents an experiment measures: the first N usable documents of a dataset, read, numbered
 * and tokenized exactly as the feature index does (documentReader + tokenWindows: BOS first when
 * the SAE or model prepends it, consecutive context windows), each window carrying the document's
 * next tokens as targets so a prediction at a window's last position is scored like any other.
 */
import type { SliceInfo } from '../../preload/api';
import { compileCondition } from '../conditions/tokenCondition';
import { planDataset, readDocuments } from '../datasets/documentReader';
import { contextWindows, isUncountedDocumentPosition, tokenizeDocument, type TokenizedDocument } from '../datasets/tokenWindows';
import { WorkbenchError } from '../errors';
import type { WorkbenchTokenizer } from '../tokenize/tokenizer';

export const DEFAULT_CONTEXT_SIZE = 128;

export interface SliceWindow {
  /** Index into DocumentSlice.documents. */
  doc: number;
  /** Position within the document of tokens[0]. */
  start: number;
  tokens: number[];
  /** Per position, the document's next token (-1 after its last). */
  targets: number[];
}

export interface DocumentSlice {
  info: SliceInfo;
  /** The dataset's data files (what the artifact identifies). */
  files: string[];
  documents: TokenizedDocument[];
  windows: SliceWindow[];
}

export interface SliceRequest {
  dataset: string;
  textColumn?: string;
  maxDocuments: number;
  /** Requested context size; null: the SAE's context_size, else 128. Capped at n_ctx. */
  contextSize?: number | null;
  saeContextSize?: number | null;
  nCtx: number;
  prependBos: boolean;
}

export function sliceContextSize(req: Pick<SliceRequest, 'contextSize' | 'saeContextSize' | 'nCtx'>): number {
  return Math.min(req.contextSize ?? req.saeContextSize ?? DEFAULT_CONTEXT_SIZE, req.nCtx);
}

export async function loadDocumentSlice(tokenizer: WorkbenchTokenizer, req: SliceRequest): Promise<DocumentSlice> {
  const plan = await planDataset(req.dataset, req.textColumn ?? null);
  const contextSize = sliceContextSize(req);
  const documents: TokenizedDocument[] = [];
  let skippedRows = 0;
  for await (const doc of readDocuments(plan, { onSkip: () => skippedRows++ })) {
    const tokenized = tokenizeDocument(tokenizer, doc, req.prependBos);
    if (tokenized.tokens.length === 0) {
      skippedRows++;
      continue;
    }
    documents.push(tokenized);
    if (documents.length >= req.maxDocuments) break;
  }
  if (documents.length === 0) throw new WorkbenchError('DATASET_NO_USABLE_ROWS', `${plan.path}: no document has tokens.`, 'Choose a dataset with text rows.');
  const windows: SliceWindow[] = [];
  documents.forEach((d, i) => {
    for (const w of contextWindows(d, contextSize)) {
      windows.push({ doc: i, start: w.start, tokens: w.tokens, targets: w.tokens.map((_, p) => d.tokens[w.start + p + 1] ?? -1) });
    }
  });
  return {
    documents,
    windows,
    files: plan.files.map((f) => f.file),
    info: {
      dataset: plan.path,
      textColumn: plan.textColumn,
      documents: documents.length,
      firstDocument: documents[0]?.document ?? null,
      lastDocument: documents.at(-1)?.document ?? null,
      skippedRows,
      tokens: documents.reduce((a, d) => a + d.tokens.length, 0),
      prependBos: req.prependBos,
      contextSize,
      windows: windows.length,
    },
  };
}

/**
 * Per document, 1 at the positions a condition holds (BOS never), or at every non-BOS position
 * when there is no condition. `named:` clauses resolve through `resolveNamed`. With `contextSize`
 * (the slice's windows), the positions tokenWindows leaves out are 0 too: with BOS, the first token
 * of every continuation window, as training, evals and the index leave it out.
 */
export function conditionMasks(documents: TokenizedDocument[], tokenizer: WorkbenchTokenizer, condition: string | null | undefined, resolveNamed?: (name: string) => string | null, contextSize?: number): { spec: string | null; masks: Uint8Array[] } {
  const dropUncounted = (d: TokenizedDocument, m: Uint8Array): Uint8Array => {
    if (contextSize !== undefined) for (let p = 0; p < m.length; p++) if (isUncountedDocumentPosition(d.bos, p, contextSize)) m[p] = 0;
    return m;
  };
  if (!condition) {
    return {
      spec: null,
      masks: documents.map((d) => {
        const m = new Uint8Array(d.tokens.length).fill(1);
        if (d.bos && m.length > 0) m[0] = 0;
        return dropUncounted(d, m);
      }),
    };
  }
  const compiled = compileCondition(condition, resolveNamed);
  return { spec: compiled.spec, masks: documents.map((d) => dropUncounted(d, compiled.mask({ ids: d.tokens, texts: tokenizer.tokenStrings(d.tokens), bos: d.bos }))) };
}
