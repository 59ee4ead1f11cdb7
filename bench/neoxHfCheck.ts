/**
 * Cross-check against Hugging Face's own GPTNeoXForCausalLM (needs Python with torch and
 * transformers, so it is not a unit test). Writes two tiny NeoX folders (rotary_pct 0.25 and
 * 1.0, parallel residual) and our engine's logits and blocks.0.hook_resid_post, as loaded by
 * the NeoX loader, to bench-output/neox-hf-check; then run
 *   npx tsx bench/neoxHfCheck.ts && python3 bench/hfCrossCheck.py bench-output/neox-hf-check
 * which prints the max relative error of each against transformers in float64.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomTransformer } from '../main/engine/randomWeights';
import { runModel } from '../main/engine/runner';
import { loadModel } from '../main/formats/models/registry';
import { writeNeoxDirectory } from '../main/formats/testing/neoxFixture';

const DIR = 'bench-output/neox-hf-check';
const CASES = [
  { name: 'pct25', dims: 2, base: 1000, lnEps: 1e-3 },
  { name: 'pct100', dims: 8, base: 10000, lnEps: 1e-5 },
];

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  const out: Record<string, unknown> = {};
  for (const c of CASES) {
    const m = randomTransformer({ nLayers: 2, dModel: 32, nHeads: 4, dVocab: 50, nCtx: 64, activation: 'gelu', lnEps: c.lnEps, positional: 'rotary', rotary: { dims: c.dims, base: c.base }, parallelAttnMlp: true, seed: 41, name: c.name });
    m.b_U.data.fill(0);
    writeNeoxDirectory(`${DIR}/${c.name}`, m, { rotary_pct: c.dims / 8, rotary_emb_base: c.base, layer_norm_eps: c.lnEps });
    const tokens = [Array.from({ length: 20 }, (_, i) => i + 1), [3, 1, 4, 1, 5]];
    const r = await runModel(loadModel(`${DIR}/${c.name}`), tokens, ['blocks.0.hook_resid_post'], { logits: true, device: 'cpu' });
    out[c.name] = { tokens, logits: r.logits!.map((t) => Array.from(t.data)), resid0: r.hooks['blocks.0.hook_resid_post'].map((t) => Array.from(t.data)) };
  }
  writeFileSync(`${DIR}/ours.json`, JSON.stringify(out));
  console.log(`Wrote ${DIR}; now run python3 bench/hfCrossCheck.py bench-output/neox-hf-check`);
}

void main();
