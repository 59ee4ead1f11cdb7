/**
 * A small world for experiment tests: a random GPT-2 folder with a word-level tokenizer (BOS =
 * <bos>, id 1), a random TopK SAE at blocks.1.hook_resid_post, and a JSON Lines dataset of random
 * sentences long enough to span several context windows. Everything is seeded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomSae, randomTransformer } from '../../engine/randomWeights';
import type { SaeWeights } from '../../formats/sae';
import { writeGpt2Directory } from '../../formats/models/gpt2Writer';
import { writeSaeDir } from '../../formats/testing/saeFixture';
import type { TransformerWeights } from '../../formats/transformer';
import { SeededRandom } from '../../random/seededRandom';
import { wordLevelJson } from '../../tokenize/testing/tinyTokenizers';
import { demoSaeCfgJson } from '../../demo/demoSae';
import { afterAll, beforeAll } from 'vitest';
import { makeTempDir } from '../../testing/tempDirs';

export const FIXTURE_WORDS = ['Step', 'quickly', 'the', 'water', 'boil', 'slowly', 'cat', 'sat', 'on', 'mat', 'and', 'then', 'we', 'stir', 'it', 'now', 'a', 'dog', 'ran', 'far'];
export const FIXTURE_HOOK = 'blocks.1.hook_resid_post';

export interface ExperimentFixture {
  model: string;
  modelB: string;
  sae: string;
  dataset: string;
  weights: TransformerWeights;
  weightsB: TransformerWeights;
  saeWeights: SaeWeights;
  documents: string[];
}

export function writeExperimentFixture(dir: string, opts: { documents?: number; nCtx?: number; dSae?: number } = {}): ExperimentFixture {
  const dVocab = FIXTURE_WORDS.length + 2;
  const make = (seed: number) => {
    const w = randomTransformer({ nLayers: 3, dModel: 16, nHeads: 2, dVocab, nCtx: opts.nCtx ?? 12, bosTokenId: 1, eosTokenId: 1, seed });
    // GPT-2 has no output bias.
    w.b_U.data.fill(0);
    return w;
  };
  const weights = make(3);
  const weightsB = make(4);
  const tokenizer = JSON.stringify(wordLevelJson(FIXTURE_WORDS));
  const write = (name: string, w: TransformerWeights) => {
    const dirOf = path.join(dir, name);
    writeGpt2Directory(dirOf, w);
    fs.writeFileSync(path.join(dirOf, 'tokenizer.json'), tokenizer);
    fs.writeFileSync(path.join(dirOf, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<bos>', eos_token: '<bos>', unk_token: '[UNK]' }));
    return dirOf;
  };
  const model = write('model', weights);
  const modelB = write('modelB', weightsB);
  const saeWeights = randomSae({ dIn: 16, dSae: opts.dSae ?? 40, k: 4, hookName: FIXTURE_HOOK, seed: 6 });
  const sae = writeSaeDir(path.join(dir, 'sae'), demoSaeCfgJson(saeWeights), {
    W_enc: { dtype: 'F32', shape: saeWeights.W_enc.shape, data: saeWeights.W_enc.data },
    W_dec: { dtype: 'F32', shape: saeWeights.W_dec.shape, data: saeWeights.W_dec.data },
    b_enc: { dtype: 'F32', shape: saeWeights.b_enc.shape, data: saeWeights.b_enc.data },
    b_dec: { dtype: 'F32', shape: saeWeights.b_dec.shape, data: saeWeights.b_dec.data },
  });
  const rng = new SeededRandom(9);
  const documents = Array.from({ length: opts.documents ?? 12 }, () => Array.from({ length: 5 + rng.int(14) }, () => rng.pick(FIXTURE_WORDS)).join(' '));
  const dataset = path.join(dir, 'docs.jsonl');
  fs.writeFileSync(dataset, documents.map((text) => JSON.stringify({ text })).join('\n') + '\n');
  return { model, modelB, sae, dataset, weights, weightsB, saeWeights, documents };
}

/** Write the fixture once for a test file (removed after it); the getter returns it inside tests. */
export function useExperimentFixture(label: string, opts: Parameters<typeof writeExperimentFixture>[1] = {}): () => ExperimentFixture {
  let fixture: ExperimentFixture | null = null;
  let cleanup = () => {};
  beforeAll(() => {
    const t = makeTempDir(label);
    cleanup = t.cleanup;
    fixture = writeExperimentFixture(t.dir, opts);
  });
  afterAll(() => cleanup());
  return () => fixture!;
}

/**
 * A copy of the fixture's model whose finite weights overflow float32 on every input: the
 * attention and MLP output biases of one block are 3e38 (finite; any two of them add up to
 * +Inf, and layer norm turns that into NaN). `before-hook` breaks block 0, so the SAE's hook
 * (blocks.1) already sees NaN; `after-hook` breaks block 2, so only the logits do. Loads fine:
 * every weight is finite, the overflow happens in the forward pass.
 */
export function writeOverflowingModel(dir: string, fx: ExperimentFixture, where: 'before-hook' | 'after-hook'): string {
  const block = where === 'before-hook' ? 0 : 2;
  const huge = (t: { data: Float32Array; shape: number[] }) => ({ data: new Float32Array(t.data.length).fill(3e38), shape: t.shape });
  const weights: TransformerWeights = { ...fx.weights, blocks: fx.weights.blocks.map((b, i) => (i === block ? { ...b, b_O: huge(b.b_O), b_out: huge(b.b_out) } : b)) };
  writeGpt2Directory(dir, weights);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(fx.model, f), path.join(dir, f));
  return dir;
}

/** A copy of the fixture's SAE whose finite encoder (3e38 everywhere) overflows on any activation. */
export function writeOverflowingSae(dir: string, fx: ExperimentFixture): string {
  const w = fx.saeWeights;
  return writeSaeDir(dir, demoSaeCfgJson(w), {
    W_enc: { dtype: 'F32', shape: w.W_enc.shape, data: new Float32Array(w.W_enc.data.length).fill(3e38) },
    W_dec: { dtype: 'F32', shape: w.W_dec.shape, data: w.W_dec.data },
    b_enc: { dtype: 'F32', shape: w.b_enc.shape, data: w.b_enc.data },
    b_dec: { dtype: 'F32', shape: w.b_dec.shape, data: w.b_dec.data },
  });
}
