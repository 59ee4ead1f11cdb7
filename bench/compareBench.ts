/**
 * Activation matching at the scale the seed ran it: two SAEs of 4096 features, k = 40, over the
 * same 1M tokens. B's latents are A's through a hidden permutation with 20% of them replaced at
 * random, so the result can be checked (how many B features find their true partner). Printed:
 * the match's time and peak memory, the floor (one pass that only reads both stores), their ratio.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alignedDocuments, rawStoreBlocks } from '../main/compare/alignedPositions';
import { assignOneToOne } from '../main/compare/assignment';
import { matchByActivation } from '../main/compare/featureMatching';
import { FeatureIndexWriter } from '../main/index/indexWriter';
import { SeededRandom, weightedSampler } from '../main/random/seededRandom';

const D_SAE = 4096;
const K = 40;
const DOC_LEN = 128;

function peakRssMiB(): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
}

function currentRssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

/** Two stores over the same documents; B = permuted A with some latents replaced. */
function writeStores(dir: string, tokens: number): { a: FeatureIndexWriter; b: FeatureIndexWriter; permutation: Int32Array; documents: number } {
  const rng = new SeededRandom(21);
  const permutation = Int32Array.from({ length: D_SAE }, (_, i) => i);
  for (let i = D_SAE - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [permutation[i], permutation[j]] = [permutation[j], permutation[i]];
  }
  const draw = weightedSampler(Float64Array.from({ length: D_SAE }, (_, f) => 1 / (f + 10)), rng.next);
  const a = FeatureIndexWriter.create(path.join(dir, 'a.sqlite'), { dSae: D_SAE, topN: 1 }, { contextSize: DOC_LEN });
  const b = FeatureIndexWriter.create(path.join(dir, 'b.sqlite'), { dSae: D_SAE, topN: 1 }, { contextSize: DOC_LEN });
  const documents = Math.ceil(tokens / (DOC_LEN - 1));
  const idsA = new BigInt64Array(DOC_LEN * K);
  const idsB = new BigInt64Array(DOC_LEN * K);
  const values = new Float32Array(DOC_LEN * K);
  const taken = new Uint8Array(D_SAE);
  for (let d = 0; d < documents; d++) {
    for (let p = 0; p < DOC_LEN; p++) {
      const chosen: number[] = [];
      while (chosen.length < K) {
        const f = draw();
        if (!taken[f]) {
          taken[f] = 1;
          chosen.push(f);
        }
      }
      const acts = chosen.map(() => 0.1 + rng.next() * 10).sort((x, y) => y - x);
      const inB = new Set<number>();
      chosen.forEach((f, j) => {
        taken[f] = 0;
        idsA[p * K + j] = BigInt(f);
        values[p * K + j] = acts[j];
        let g = permutation[f];
        // One latent in five is some other feature in B.
        while (rng.next() < 0.2 || inB.has(g)) g = rng.int(D_SAE);
        inB.add(g);
        idsB[p * K + j] = BigInt(g);
      });
    }
    a.addWindow(d, 0, DOC_LEN, { ids: idsA, values, width: K }, 0, true);
    b.addWindow(d, 0, DOC_LEN, { ids: idsB, values, width: K }, 0, true);
    if (a.uncommittedTokens > 1 << 17) {
      a.commit({ nextDocument: d + 1, documents: d + 1, skipped: 0 });
      b.commit({ nextDocument: d + 1, documents: d + 1, skipped: 0 });
    }
  }
  a.commit({ nextDocument: documents, documents, skipped: 0 });
  b.commit({ nextDocument: documents, documents, skipped: 0 });
  return { a, b, permutation, documents };
}

export async function compareBench(options: { tokens?: number } = {}): Promise<string[]> {
  const tokens = options.tokens ?? 1_000_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-compare-bench-'));
  try {
    const t0 = performance.now();
    const { a, b, permutation, documents } = writeStores(dir, tokens);
    const writeMs = performance.now() - t0;
    const stores = () => alignedDocuments(rawStoreBlocks(a.db, D_SAE), rawStoreBlocks(b.db, D_SAE));

    // The floor: read both stores once, touching every latent.
    const f0 = performance.now();
    let sum = 0;
    let positions = 0;
    for (const doc of stores()) {
      for (let i = 0; i < doc.a.values.length; i++) sum += doc.a.values[i];
      for (let j = 0; j < doc.b.values.length; j++) sum += doc.b.values[j];
      positions += doc.length - 1;
    }
    const floorMs = performance.now() - f0;

    const rssBefore = currentRssMiB();
    const m0 = performance.now();
    const scores = matchByActivation(stores, D_SAE, D_SAE, true, { totalDocuments: documents });
    const matchMs = performance.now() - m0;
    const a0 = performance.now();
    const { partnerOfB, prunedEdges } = assignOneToOne(scores.candidates, D_SAE, D_SAE);
    const assignMs = performance.now() - a0;
    const peak = peakRssMiB();
    // Check: B feature permutation[f] should match A feature f.
    let right = 0;
    let assignedRight = 0;
    let fired = 0;
    for (let f = 0; f < D_SAE; f++) {
      const g = permutation[f];
      if (scores.best[g] < 0) continue;
      fired++;
      if (scores.best[g] === f) right++;
      if (partnerOfB[g] === f) assignedRight++;
    }
    a.close();
    b.close();
    return [
      `(v) activation matching ${D_SAE} x ${D_SAE} features over ${positions.toLocaleString('en-US')} shared tokens (k ${K}; stores written in ${(writeMs / 1000).toFixed(1)} s):`,
      `    match ${(matchMs / 1000).toFixed(1)} s (co-firing sums, Pearson, best and runner-up) + assignment ${(assignMs / 1000).toFixed(1)} s over ${scores.candidates.length.toLocaleString('en-US')} candidate pairs (${prunedEdges} pruned)`,
      `    floor: one pass reading both stores ${(floorMs / 1000).toFixed(1)} s -> ratio match / floor = ${(matchMs / floorMs).toFixed(1)}x (the k^2 = ${K * K} pair updates per token are the work above the floor)`,
      `    memory: RSS ${rssBefore.toFixed(0)} MiB before matching, process peak ${peak.toFixed(0)} MiB (co-firing sums: float64 ${D_SAE}x${D_SAE} = ${((D_SAE * D_SAE * 8) / 2 ** 20).toFixed(0)} MiB)`,
      `    check: ${right} of ${fired} B features' best match is their true partner, ${assignedRight} in the one-to-one assignment (checksum ${sum.toFixed(0)})`,
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
