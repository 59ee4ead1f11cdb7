import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../formats/models/registry';
import { loadSae } from '../formats/saeLoader';
import { readSafetensors } from '../formats/safetensors';
import type { SaeWeights } from '../formats/sae';
import { makeTempDir } from '../testing/tempDirs';
import { buildDemoArtifacts, ensureDemoBundle, writeDemoBundle, type DemoArtifacts, type DemoBundlePaths, type DemoGroundTruth } from './demoBundle';
import { forward64 } from './transformerForward64';
import { encodeWords } from './wordTokenizer';

/** Float64 TopK encode straight from the sae_lens definition: (x - b_dec) W_enc + b_enc, top k, ReLU. */
function topkEncode(sae: SaeWeights, x: ArrayLike<number>): Map<number, number> {
  const { dIn, dSae, k } = sae.config;
  const pre = Array.from({ length: dSae }, (_, j) => {
    let s = sae.b_enc.data[j];
    for (let i = 0; i < dIn; i++) s += (x[i] - sae.b_dec.data[i]) * sae.W_enc.data[i * dSae + j];
    return { j, s };
  });
  pre.sort((a, b) => b.s - a.s);
  return new Map(pre.slice(0, k!).filter((p) => p.s > 0).map((p) => [p.j, p.s]));
}

function digestTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else out[path.relative(root, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(root);
  return out;
}

describe('demo bundle', () => {
  const tmp = makeTempDir('demo-bundle');
  let paths: DemoBundlePaths;
  let artifacts: DemoArtifacts;
  let truth: DemoGroundTruth;

  beforeAll(() => {
    paths = ensureDemoBundle(tmp.dir);
    artifacts = buildDemoArtifacts();
    truth = JSON.parse(fs.readFileSync(paths.groundTruth, 'utf8')) as DemoGroundTruth;
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('is generated on first use, reused afterwards, and byte-identical when regenerated', () => {
    const before = digestTree(paths.root);
    const mtime = fs.statSync(paths.groundTruth).mtimeMs;
    expect(ensureDemoBundle(tmp.dir).root).toBe(paths.root);
    expect(fs.statSync(paths.groundTruth).mtimeMs).toBe(mtime);
    const again = writeDemoBundle(path.join(tmp.dir, 'again'));
    expect(digestTree(again.root)).toEqual(before);
    const totalBytes = Object.keys(before).reduce((s, f) => s + fs.statSync(path.join(paths.root, f)).size, 0);
    expect(totalBytes).toBeLessThan(5 * 1024 * 1024);
  }, 120_000);

  it('writes HF GPT-2 directories that load back (formats loader) as exactly the constructed weights', () => {
    for (const name of ['standard', 'adhd'] as const) {
      const config = JSON.parse(fs.readFileSync(path.join(paths.models[name], 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(config).toMatchObject({ model_type: 'gpt2', n_layer: 4, n_head: 4, n_embd: 64, vocab_size: truth.vocabSize, tie_word_embeddings: false });
      const loaded = loadModel(paths.models[name]);
      const built = artifacts.models[name];
      expect(loaded.config).toMatchObject({ nLayers: 4, dModel: 64, nHeads: 4, dMlp: 256, dVocab: truth.vocabSize, activation: 'gelu_new', attnScale: 4 });
      expect(Array.from(loaded.W_U.data)).toEqual(Array.from(built.W_U.data));
      expect(Array.from(loaded.W_E.data)).toEqual(Array.from(built.W_E.data));
      loaded.blocks.forEach((b, i) => {
        for (const key of ['W_Q', 'W_K', 'W_V', 'W_O', 'W_in', 'b_in', 'W_out'] as const) expect(Array.from(b[key].data)).toEqual(Array.from(built.blocks[i][key].data));
      });
    }
  });

  it('ships a tokenizer.json that encodes the dataset like the corpus statistics', () => {
    const tok = new Tokenizer(JSON.parse(fs.readFileSync(paths.tokenizer, 'utf8')), {});
    const lines = fs.readFileSync(paths.dataset, 'utf8').trim().split('\n');
    expect(lines.length).toBe(3000);
    for (const line of lines.slice(0, 20)) {
      const { text } = JSON.parse(line) as { text: string };
      expect(tok.encode(text).ids).toEqual(encodeWords(artifacts.vocab, text));
    }
    expect(lines.filter((l) => l.includes('Step 1:')).length).toBeGreaterThan(1000);
  });

  it('documents the planted ground truth consistently with the weights', () => {
    expect(truth).toMatchObject({ layer: 2, hookName: 'blocks.2.hook_resid_post', stepToken: 'Step', targetToken: 'quickly' });
    const st = readSafetensors(paths.plantedDirection);
    const dir = new Float32Array(st.get('direction').bytes().slice().buffer);
    expect(dir.length).toBe(64);
    expect(Math.hypot(...dir)).toBeCloseTo(1, 5);
    truth.direction.forEach((v, i) => expect(dir[i]).toBeCloseTo(v, 6));
    expect(truth.figures.adhd.stepProjection).toBeGreaterThan(5);
    expect(Math.abs(truth.figures.standard.stepProjection)).toBeLessThan(1e-3);
    expect(truth.figures.adhd.crossEntropy).toBeLessThan(truth.figures.unigramCrossEntropy - 2);
  });

  it('ships sae_lens TopK SAEs that load, and the adhd one has the planted feature firing at step onsets only', () => {
    const saes = { standard: loadSae(paths.saes.standard), adhd: loadSae(paths.saes.adhd) };
    for (const sae of Object.values(saes)) {
      expect(sae.config).toMatchObject({ architecture: 'topk', dIn: 64, dSae: 256, k: 8, hookName: 'blocks.2.hook_resid_post', hookLayer: 2 });
    }
    const labels = JSON.parse(fs.readFileSync(path.join(paths.saes.adhd, 'feature_labels.json'), 'utf8')) as string[];
    expect(labels[truth.adhdSaePlantedFeature]).toBe('planted step-onset direction');
    const plantedRow = saes.adhd.W_dec.data.subarray(truth.adhdSaePlantedFeature * 64, (truth.adhdSaePlantedFeature + 1) * 64);
    truth.direction.forEach((v, i) => expect(plantedRow[i]).toBeCloseTo(v, 6));

    const text = 'How to make tea. Step 1: Boil the water. The cat sat in the garden. Step 2: Pour the tea.';
    const tokens = [0, ...encodeWords(artifacts.vocab, text)];
    const resid = forward64(artifacts.models.adhd, tokens).residPost[2];
    const residStd = forward64(artifacts.models.standard, tokens).residPost[2];
    let stepHits = 0;
    let ownTokenTop = 0;
    tokens.forEach((tok, t) => {
      const acts = topkEncode(saes.adhd, resid[t]);
      const isStep = tok === truth.stepTokenId;
      if (isStep) {
        expect(acts.get(truth.adhdSaePlantedFeature) ?? 0).toBeGreaterThan(5);
        stepHits++;
      } else {
        expect(acts.has(truth.adhdSaePlantedFeature)).toBe(false);
      }
      // The strongest standard feature is the token's own feature for most tokens.
      const std = [...topkEncode(saes.standard, residStd[t]).entries()].sort((a, b) => b[1] - a[1]);
      const label = JSON.parse(fs.readFileSync(path.join(paths.saes.standard, 'feature_labels.json'), 'utf8'))[std[0][0]] as string;
      if (label === `token ${JSON.stringify(artifacts.vocab.tokens[tok])}`) ownTokenTop++;
    });
    expect(stepHits).toBe(2);
    expect(ownTokenTop / tokens.length).toBeGreaterThan(0.8);
  });

  it("has context features that are not orthogonal to d, so a feature both SAEs share fires at Step in adhd only (what the condition diff's \"input differs\" rows are)", () => {
    const saes = { standard: loadSae(paths.saes.standard), adhd: loadSae(paths.saes.adhd) };
    const d = truth.direction;
    const row = (sae: SaeWeights, f: number) => sae.W_dec.data.subarray(f * 64, (f + 1) * 64);
    const cos = (v: ArrayLike<number>) => {
      let dv = 0;
      let vv = 0;
      for (let i = 0; i < 64; i++) {
        dv += d[i] * v[i];
        vv += v[i] * v[i];
      }
      return dv / Math.sqrt(vv);
    };
    // The context features (224..254) are the same unit vectors in both SAEs, drawn with a fresh normal per
    // coordinate (demoSae.ts), so they are spread over the whole residual space and several read d.
    const context = Array.from({ length: 31 }, (_, j) => 224 + j);
    for (const f of context) expect(Array.from(row(saes.adhd, f))).toEqual(Array.from(row(saes.standard, f)));
    const overlaps = context.map((f) => [f, cos(row(saes.adhd, f))] as const).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
    expect(Math.abs(overlaps[0][1])).toBeGreaterThan(0.2);
    expect(cos(row(saes.adhd, 239))).toBeCloseTo(0.221, 3);
    // At Step, adhd's residual carries ~9.4 d: #239's pre-activation rises by ~2 and it enters the top k in adhd only.
    const tokens = [0, ...encodeWords(artifacts.vocab, 'How to make tea. Step 1: Boil the water. Step 2: Pour the tea.')];
    const adhd = forward64(artifacts.models.adhd, tokens).residPost[2];
    const standard = forward64(artifacts.models.standard, tokens).residPost[2];
    const steps = tokens.flatMap((t, i) => (t === truth.stepTokenId ? [i] : []));
    expect(steps).toHaveLength(2);
    for (const t of steps) {
      expect(topkEncode(saes.adhd, adhd[t]).get(239) ?? 0).toBeGreaterThan(1);
      expect(topkEncode(saes.standard, standard[t]).has(239)).toBe(false);
    }
  });
});
