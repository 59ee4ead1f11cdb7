/**
 * Cross-check against Hugging Face's own LlamaForCausalLM (needs Python with torch and
 * transformers, so it is not a unit test). Writes tiny Llama folders (GQA 4/2 untied, GQA 4/1
 * tied with rope_theta 500000, MHA) and our engine's logits and blocks.0.hook_resid_post, as
 * loaded by the Llama loader, to bench-output/llama-hf-check; then run
 *   npx tsx bench/llamaHfCheck.ts && python3 bench/hfCrossCheck.py bench-output/llama-hf-check
 * which prints the max relative error of each against transformers in float64.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomTransformer } from '../main/engine/randomWeights';
import { runModel } from '../main/engine/runner';
import { loadModel } from '../main/formats/models/registry';
import { writeLlamaDirectory } from '../main/formats/testing/llamaFixture';

const DIR = 'bench-output/llama-hf-check';
const CASES = [
  { name: 'gqa2', nKvHeads: 2, base: 10000, lnEps: 1e-5, tied: false },
  { name: 'gqa1tied', nKvHeads: 1, base: 500000, lnEps: 1e-6, tied: true },
  { name: 'mha', nKvHeads: 4, base: 10000, lnEps: 1e-4, tied: false },
];

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  const out: Record<string, unknown> = {};
  for (const c of CASES) {
    const m = randomTransformer({ nLayers: 2, dModel: 32, nHeads: 4, nKvHeads: c.nKvHeads, dMlp: 48, dVocab: 50, nCtx: 64, normalization: 'RMS', lnEps: c.lnEps, activation: 'silu', positional: 'rotary', rotary: { dims: 8, base: c.base }, gatedMlp: true, biases: false, seed: 81, name: c.name });
    if (c.tied) for (let v = 0; v < 50; v++) for (let i = 0; i < 32; i++) m.W_U.data[i * 50 + v] = m.W_E.data[v * 32 + i];
    writeLlamaDirectory(`${DIR}/${c.name}`, m, { rope_theta: c.base, rms_norm_eps: c.lnEps, tie_word_embeddings: c.tied });
    const tokens = [Array.from({ length: 20 }, (_, i) => i + 1), [3, 1, 4, 1, 5]];
    const r = await runModel(loadModel(`${DIR}/${c.name}`), tokens, ['blocks.0.hook_resid_post'], { logits: true, device: 'cpu' });
    out[c.name] = { tokens, logits: r.logits!.map((t) => Array.from(t.data)), resid0: r.hooks['blocks.0.hook_resid_post'].map((t) => Array.from(t.data)) };
  }
  writeFileSync(`${DIR}/ours.json`, JSON.stringify(out));
  console.log(`Wrote ${DIR}; now run python3 bench/hfCrossCheck.py bench-output/llama-hf-check`);
}

void main();
