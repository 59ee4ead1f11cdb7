/**
 * Activations at one or several hooks, streamed from the model over a dataset in document order:
 * documents -> tokens (BOS first when the model prepends it) -> context windows -> ONE model
 * pass per batch of windows for all hooks -> one row per token that counts (tokenWindows'
 * countedPositions: no BOS, and no first token of a continuation window, which runs without one;
 * both are huge-norm outliers in real models). A cursor (document, window,
 * row) names the next row, so any stretch of rows can be produced again exactly (resume).
 */
import { WorkbenchError } from '../errors';
import type { DeviceChoice } from '../engine/executionProviders';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { runModel } from '../engine/runner';
import { readDocuments, type DatasetPlan, type SkippedRow } from '../datasets/documentReader';
import { contextWindows, countedPositions, tokenizeDocument, type TokenWindow } from '../datasets/tokenWindows';
import type { TransformerWeights } from '../formats/transformer';
import type { WorkbenchTokenizer } from '../tokenize/tokenizer';

/** Where the next row comes from: a window of a document, and how many of its rows are used. */
export interface DataCursor {
  document: number;
  window: number;
  row: number;
  /** Passes over the training stretch completed (looping datasets). */
  epoch: number;
}

export interface StreamOptions {
  model: TransformerWeights;
  tokenizer: WorkbenchTokenizer;
  plan: DatasetPlan;
  hooks: string[];
  contextSize: number;
  prependBos: boolean;
  device: DeviceChoice;
  /** Windows per model call. */
  modelBatch?: number;
  /**
   * A second model run on the very same windows (crosscoders: paired activations per token, same
   * tokenizer); its hooks' rows come out under `keys` (one per hook), next to the first model's.
   */
  partner?: { model: TransformerWeights; hooks: string[]; keys: string[] };
  onSkip?: (s: SkippedRow) => void;
}

/** Rows of activations in data order: one [rows, d] array per hook. */
export interface ActivationRows {
  rows: number;
  hooks: Record<string, Float32Array>;
  /** The cursor just after the last row. */
  end: DataCursor;
}

interface WindowItem {
  document: number;
  window: number;
  tokens: TokenWindow;
  /** Row r of the window is token position rowPositions[r] of the window. */
  rowPositions: number[];
}


async function* windowsFrom(o: StreamOptions, from: DataCursor): AsyncGenerator<WindowItem> {
  for await (const doc of readDocuments(o.plan, { startDocument: from.document, onSkip: o.onSkip })) {
    const windows = contextWindows(tokenizeDocument(o.tokenizer, doc, o.prependBos), o.contextSize);
    const first = doc.document === from.document ? from.window : 0;
    for (let w = first; w < windows.length; w++) yield { document: doc.document, window: w, tokens: windows[w], rowPositions: countedPositions(windows[w], o.prependBos) };
  }
}

function sameCursor(a: DataCursor, b: DataCursor): boolean {
  return a.document === b.document && a.window === b.window && a.row === b.row && a.epoch === b.epoch;
}

export class DatasetTooSmallError extends WorkbenchError {}

/**
 * Reads rows from `start` on. With `loopFrom`, reaching the end of the dataset continues at that
 * cursor (next epoch); without it, the end is an error saying how many rows there were.
 */
export class ActivationStream {
  private reader: AsyncGenerator<WindowItem> | null = null;
  private partial: { item: WindowItem; used: number } | null = null;
  private position: DataCursor;

  constructor(
    private readonly o: StreamOptions,
    start: DataCursor,
    private readonly loopFrom: DataCursor | null,
    private readonly what: string,
  ) {
    this.position = start;
  }

  get cursor(): DataCursor {
    return this.position;
  }

  /** Continue from `c` (a cursor this stream or a cache handed out). */
  seek(c: DataCursor): void {
    if (sameCursor(c, this.position)) return;
    void this.reader?.return(undefined);
    this.reader = null;
    this.partial = null;
    this.position = c;
  }

  private async nextItem(): Promise<{ item: WindowItem; skip: number } | null> {
    if (this.partial) {
      const p = this.partial;
      this.partial = null;
      return { item: p.item, skip: p.used };
    }
    this.reader ??= windowsFrom(this.o, this.position);
    const n = await this.reader.next();
    if (n.done) return null;
    const skip = n.value.document === this.position.document && n.value.window === this.position.window ? this.position.row : 0;
    return { item: n.value, skip };
  }

  /** The next `count` rows, all hooks from one model pass per batch of windows. */
  async take(count: number): Promise<ActivationRows> {
    const segments: { item: WindowItem; from: number; n: number }[] = [];
    let have = 0;
    let wrappedWithoutRows = false;
    while (have < count) {
      const next = await this.nextItem();
      if (!next) {
        if (!this.loopFrom) {
          throw new DatasetTooSmallError(
            'DATASET_TOO_SMALL',
            `The dataset ${this.o.plan.path} ran out after ${have} of the ${count} tokens needed for ${this.what} (BOS positions are not counted).`,
            'Lower the number of tokens, choose a larger dataset, or let the run loop over the dataset (--loop / "Loop over the dataset").',
          );
        }
        if (wrappedWithoutRows) throw new WorkbenchError('DATASET_TOO_SMALL', `The dataset ${this.o.plan.path} has no training tokens after the held-out ones.`, 'Lower the held-out (eval) tokens or choose a larger dataset.');
        wrappedWithoutRows = have === 0;
        this.reader = null;
        this.position = { ...this.loopFrom, epoch: this.position.epoch + 1 };
        continue;
      }
      const { item, skip } = next;
      const available = item.rowPositions.length - skip;
      if (available <= 0) continue;
      const n = Math.min(available, count - have);
      segments.push({ item, from: skip, n });
      have += n;
      if (skip + n < item.rowPositions.length) {
        this.partial = { item, used: skip + n };
        this.position = { document: item.document, window: item.window, row: skip + n, epoch: this.position.epoch };
      } else {
        this.position = { document: item.document, window: item.window + 1, row: 0, epoch: this.position.epoch };
      }
    }
    const hooks: Record<string, Float32Array> = {};
    await this.fill(this.o.model, this.o.hooks, this.o.hooks, segments, count, hooks);
    if (this.o.partner) await this.fill(this.o.partner.model, this.o.partner.hooks, this.o.partner.keys, segments, count, hooks);
    return { rows: count, hooks, end: this.position };
  }

  /** Run `model` over the segments' windows and copy its hooks' rows (BOS left out) into `into[keys[i]]`. */
  private async fill(model: TransformerWeights, hookNames: string[], keys: string[], segments: { item: WindowItem; from: number; n: number }[], count: number, into: Record<string, Float32Array>): Promise<void> {
    const d = model.config.dModel;
    const hooks = Object.fromEntries(keys.map((k) => [k, (into[k] = new Float32Array(count * d))]));
    const batch = Math.max(1, this.o.modelBatch ?? 32);
    let row = 0;
    for (let s = 0; s < segments.length; s += batch) {
      const part = segments.slice(s, s + batch);
      const run = await runModel(model, part.map((g) => g.item.tokens.tokens), hookNames, { device: this.o.device, batchSize: batch });
      // A non-finite activation would reach the SAE as a NaN loss several steps later; name its source here.
      for (const h of hookNames) part.forEach((g, i) => requireFiniteOutputs({ [h]: run.hooks[h][i] }, `the model pass feeding training (${model.config.name}, document ${g.item.document}, window ${g.item.window})`));
      part.forEach((g, i) => {
        for (const [hi, h] of hookNames.entries()) {
          const src = run.hooks[h][i].data;
          const dst = hooks[keys[hi]];
          for (let r = 0; r < g.n; r++) {
            const p = g.item.rowPositions[g.from + r];
            dst.set(src.subarray(p * d, (p + 1) * d), (row + r) * d);
          }
        }
        row += g.n;
      });
    }
  }

  /** Rows available from the cursor on, counting up to `limit` (tokenizing only; the cursor stays). */
  async countRowsUpTo(limit: number): Promise<number> {
    let rows = 0;
    for await (const item of windowsFrom(this.o, this.position)) {
      const skip = item.document === this.position.document && item.window === this.position.window ? this.position.row : 0;
      rows += Math.max(0, item.rowPositions.length - skip);
      if (rows >= limit) break;
    }
    return rows;
  }
}
