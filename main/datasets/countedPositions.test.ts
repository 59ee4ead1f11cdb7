/**
 * Issue 18: training, held-out evals, the feature index and experiments leave out the same
 * positions (tokenWindows' countedPositions): with a BOS model, the document's BOS and the first
 * token of every continuation window. Checked on the demo model with 16-token windows, so most
 * documents have continuation windows.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { runModel } from '../engine/runner';
import { evaluateSaes } from '../evals/evaluateSae';
import { heldOutWindows } from '../evals/heldOutWindows';
import { conditionMasks } from '../experiments/documentSlice';
import { loadModel } from '../formats/models/registry';
import { loadSae } from '../formats/saeLoader';
import { FeatureIndexWriter } from '../index/indexWriter';
import { makeTempDir } from '../testing/tempDirs';
import { loadTokenizer } from '../tokenize/tokenizer';
import { ActivationStream } from '../train/activationStream';
import { sharedDemoBundle } from '../train/testing/demoFixture';
import { planDataset, readDocuments } from './documentReader';
import { contextWindows, countedPositions, isUncountedDocumentPosition, tokenizeDocument, type TokenizedDocument } from './tokenWindows';

const CONTEXT = 16;
const HOOK = 'blocks.2.hook_resid_post';
const tmp = makeTempDir('counted-positions');
let demo: DemoBundlePaths;
beforeAll(() => {
  demo = sharedDemoBundle();
}, 180_000);
afterAll(tmp.cleanup);

async function firstDocuments(n: number): Promise<TokenizedDocument[]> {
  const c = loadModel(demo.models.adhd).config;
  const tokenizer = loadTokenizer(demo.models.adhd, { prependBos: c.prependBos, bosTokenId: c.bosTokenId, eosTokenId: c.eosTokenId });
  const docs: TokenizedDocument[] = [];
  for await (const d of readDocuments(await planDataset(demo.dataset, null))) {
    docs.push(tokenizeDocument(tokenizer, d, true));
    if (docs.length >= n) break;
  }
  return docs;
}

describe('the positions that count agree across training, evals, the index and experiments', () => {
  it('the rule: with BOS, position 0 of every window (BOS or a continuation window\'s first token); without, none', () => {
    const doc: TokenizedDocument = { document: 0, tokens: Array.from({ length: 40 }, (_, i) => i), bos: true };
    const windows = contextWindows(doc, CONTEXT);
    expect(windows.map((w) => w.start)).toEqual([0, 16, 32]);
    expect(windows.map((w) => countedPositions(w, true)[0])).toEqual([1, 1, 1]);
    expect(windows.map((w) => countedPositions(w, true).length)).toEqual([15, 15, 7]);
    expect(windows.map((w) => countedPositions(w, false).length)).toEqual([16, 16, 8]);
    expect([0, 1, 16, 17, 32].map((p) => isUncountedDocumentPosition(true, p, CONTEXT))).toEqual([true, false, true, false, true]);
  });

  it('training rows, held-out eval tokens, index tokens and experiment masks are the same positions', async () => {
    const model = loadModel(demo.models.adhd);
    const docs = await firstDocuments(6);
    expect(docs.some((d) => d.tokens.length > CONTEXT)).toBe(true);
    const windows = docs.flatMap((d) => contextWindows(d, CONTEXT));
    const counted = windows.reduce((a, w) => a + countedPositions(w, true).length, 0);

    // Training: the stream's rows are exactly the model's activations at the counted positions, in order.
    const c = model.config;
    const tokenizer = loadTokenizer(demo.models.adhd, { prependBos: c.prependBos, bosTokenId: c.bosTokenId, eosTokenId: c.eosTokenId });
    const plan = await planDataset(demo.dataset, null);
    const stream = new ActivationStream({ model, tokenizer, plan, hooks: [HOOK], contextSize: CONTEXT, prependBos: true, device: 'cpu' }, { document: docs[0].document, window: 0, row: 0, epoch: 0 }, null, 'the test');
    const rows = await stream.take(counted);
    const last = docs[docs.length - 1];
    expect(rows.end).toEqual({ document: last.document, window: contextWindows(last, CONTEXT).length, row: 0, epoch: 0 });
    const run = await runModel(model, windows.map((w) => w.tokens), [HOOK], { device: 'cpu' });
    const want = windows.flatMap((w, i) => countedPositions(w, true).flatMap((p) => Array.from(run.hooks[HOOK][i].data.subarray(p * 64, (p + 1) * 64))));
    expect(Array.from(rows.hooks[HOOK])).toEqual(want);

    // Held-out evals: the windows' counted tokens are what the metrics average over.
    const held = await heldOutWindows(plan, tokenizer, true, CONTEXT, counted);
    expect(held.rows).toBe(held.windows.reduce((a, w) => a + countedPositions(w, true).length, 0));
    const [res] = await evaluateSaes(model, [loadSae(demo.saes.adhd)], { windows: held.windows, bos: true }, { device: 'cpu', reconstructionOnly: true });
    expect(res.metrics.tokens).toBe(held.rows);

    // The index: every window added, a latent firing everywhere; only the counted positions are indexed.
    const writer = FeatureIndexWriter.create(path.join(tmp.dir, 'index.sqlite'), { dSae: 4, topN: 5 }, { contextSize: CONTEXT });
    for (const w of windows) {
      const n = w.tokens.length;
      writer.addWindow(w.document, w.start, n, { ids: new BigInt64Array(n).fill(0n), values: new Float32Array(n).fill(1), width: 1 }, 0, true);
    }
    expect(writer.acc.tokens).toBe(counted);

    // Experiments: the masks are 1 exactly at the counted positions of the slice's windows.
    const { masks } = conditionMasks(docs, tokenizer, null, undefined, CONTEXT);
    const fromWindows = docs.map((d) => {
      const m = new Uint8Array(d.tokens.length);
      for (const w of contextWindows(d, CONTEXT)) for (const p of countedPositions(w, true)) m[w.start + p] = 1;
      return Array.from(m);
    });
    expect(masks.map((m) => Array.from(m))).toEqual(fromWindows);
    // A condition's mask drops them too: "every token" as a condition.
    const all = conditionMasks(docs, tokenizer, 'token-regex:.*', undefined, CONTEXT).masks;
    all.forEach((m, i) => m.forEach((v, p) => expect(v, `document ${i} position ${p}`).toBeLessThanOrEqual(fromWindows[i][p])));
  });
});
