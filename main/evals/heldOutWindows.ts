/**
 * The held-out evaluation tokens: whole context windows from the start of a dataset until they
 * hold `tokens` tokens that count (tokenWindows' countedPositions: not BOS, not the first token of
 * a continuation window). Training runs start right after them,
 * so the same dataset gives the eval job and a training run's gates the same tokens.
 */
import { WorkbenchError } from '../errors';
import { readDocuments, type DatasetPlan } from '../datasets/documentReader';
import { contextWindows, countedPositions, tokenizeDocument, type TokenWindow } from '../datasets/tokenWindows';
import type { WorkbenchTokenizer } from '../tokenize/tokenizer';

export interface HeldOutWindows {
  windows: TokenWindow[];
  /** Tokens that count (BOS excluded). */
  rows: number;
  /** The first window after the held-out ones. */
  next: { document: number; window: number };
}

export async function heldOutWindows(plan: DatasetPlan, tokenizer: WorkbenchTokenizer, prependBos: boolean, contextSize: number, tokens: number): Promise<HeldOutWindows> {
  const windows: TokenWindow[] = [];
  let rows = 0;
  for await (const doc of readDocuments(plan)) {
    const all = contextWindows(tokenizeDocument(tokenizer, doc, prependBos), contextSize);
    for (const [i, w] of all.entries()) {
      const counted = countedPositions(w, prependBos).length;
      if (counted === 0) continue;
      windows.push(w);
      rows += counted;
      if (rows >= tokens) return { windows, rows, next: { document: doc.document, window: i + 1 } };
    }
  }
  throw new WorkbenchError(
    'DATASET_TOO_SMALL',
    `The dataset ${plan.path} has only ${rows} tokens (BOS not counted); ${tokens} are needed for the held-out evaluation.`,
    `Evaluate on at most ${rows} tokens, or choose a larger dataset.`,
  );
}
