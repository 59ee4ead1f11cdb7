import * as ort from 'onnxruntime-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSessionWithFallback, THREADS_ENV } from '../engine/executionProviders';
import { GraphBuilder } from '../engine/onnx/graphBuilder';
import { SeededRandom } from '../random/seededRandom';
import { latentChunkColumns, latentGroupSize, latentRowSums, latentRuns, latentValueSums } from './latentRowSums';

const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});
afterEach(() => {
  delete process.env[THREADS_ENV];
});

interface Case {
  B: number;
  slots: number;
  dSae: number;
  w: number;
  /** Latent ids per token (each token's distinct, as TopK's). */
  idx: number[][];
}

/** Distinct latents per token, skewed so a few latents collect most entries (as dense latents do). */
function randomCase(seed: number, B: number, slots: number, dSae: number, w: number): Case {
  const rng = new SeededRandom(seed);
  const idx = Array.from({ length: B }, () => {
    const chosen = new Set<number>();
    while (chosen.size < slots) chosen.add(Math.floor(dSae * rng.next() ** 3));
    return [...chosen];
  });
  return { B, slots, dSae, w, idx };
}

async function sessionFor(c: Case, threads?: number) {
  const g = new GraphBuilder('latent-row-sums');
  const idx = g.input('idx', 'int64', [c.B, c.slots]);
  const coefA = g.input('coef_a', 'float32', [c.B, c.slots]);
  const coefB = g.input('coef_b', 'float32', [c.B, c.slots]);
  const srcA = g.input('src_a', 'float32', [c.B, c.w]);
  const srcB = g.input('src_b', 'float32', [c.B, c.w]);
  const values = g.input('values', 'float32', [c.B, c.slots, 2]);
  const keep = g.input('keep', 'bool', [c.B, c.slots]);
  const runs = latentRuns(g, idx, c.B, c.slots, c.dSae);
  const [a, b] = latentRowSums(g, runs, [{ coef: coefA, source: srcA }, { coef: coefB, source: srcB }], c.w);
  // Column chunks of about 2 columns (a tiny budget): the chunked path gives the same sums.
  const [single] = latentRowSums(g, runs, [{ coef: coefA, source: srcA }], c.w, 2 * (Math.floor((c.B * c.slots) / runs.groupSize) + Math.min(c.dSae, c.B * c.slots) + 1) * runs.groupSize);
  g.output(a, 'a', 'float32', [c.dSae, c.w]);
  g.output(b, 'b', 'float32', [c.dSae, c.w]);
  g.output(single, 'single', 'float32', [c.dSae, c.w]);
  g.output(latentValueSums(g, runs, values, 2), 'value_sums', 'float32', [c.dSae, 2]);
  // Only the kept entries.
  const kept = latentRuns(g, idx, c.B, c.slots, c.dSae, keep);
  g.output(latentRowSums(g, kept, [{ coef: coefA, source: srcA }], c.w)[0], 'kept_a', 'float32', [c.dSae, c.w]);
  g.output(latentValueSums(g, kept, values, 2), 'kept_value_sums', 'float32', [c.dSae, 2]);
  if (threads !== undefined) process.env[THREADS_ENV] = String(threads);
  const { session } = await createSessionWithFallback(g.toBytes(), 'cpu');
  delete process.env[THREADS_ENV];
  sessions.push(session);
  return session;
}

function feedsFor(c: Case, seed: number, keepShare = 0.7) {
  const rng = new SeededRandom(seed);
  const f = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return {
    idx: new ort.Tensor('int64', BigInt64Array.from(c.idx.flat(), BigInt), [c.B, c.slots]),
    coef_a: new ort.Tensor('float32', f(c.B * c.slots), [c.B, c.slots]),
    coef_b: new ort.Tensor('float32', f(c.B * c.slots), [c.B, c.slots]),
    src_a: new ort.Tensor('float32', f(c.B * c.w), [c.B, c.w]),
    src_b: new ort.Tensor('float32', f(c.B * c.w), [c.B, c.w]),
    // Column 1 holds 0/1 like "fired": its sums are counts, exact.
    values: new ort.Tensor('float32', Float32Array.from({ length: c.B * c.slots * 2 }, (_, i) => (i % 2 ? (rng.next() < 0.8 ? 1 : 0) : rng.normal())), [c.B, c.slots, 2]),
    keep: new ort.Tensor('bool', Uint8Array.from({ length: c.B * c.slots }, () => (rng.next() < keepShare ? 1 : 0)), [c.B, c.slots]),
  };
}

/** The same sums in float64, token by token (only the kept entries when `keep` is given). */
function reference(c: Case, coef: Float32Array, src: Float32Array, keep?: Uint8Array): Float64Array {
  const out = new Float64Array(c.dSae * c.w);
  c.idx.forEach((row, b) => row.forEach((j, s) => {
    if (keep && !keep[b * c.slots + s]) return;
    for (let i = 0; i < c.w; i++) out[j * c.w + i] += coef[b * c.slots + s] * src[b * c.w + i];
  }));
  return out;
}

function valueSums(c: Case, v: Float32Array, keep?: Uint8Array): Float64Array {
  const sums = new Float64Array(c.dSae * 2);
  c.idx.forEach((row, b) => row.forEach((j, s) => {
    if (keep && !keep[b * c.slots + s]) return;
    sums[j * 2] += v[(b * c.slots + s) * 2];
    sums[j * 2 + 1] += v[(b * c.slots + s) * 2 + 1];
  }));
  return sums;
}

function expectValueSums(actual: Float32Array, sums: Float64Array, dSae: number): void {
  for (let j = 0; j < dSae; j++) {
    expect(Math.abs(actual[j * 2] - sums[j * 2]), `value sum of latent ${j}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(sums[j * 2])));
    expect(actual[j * 2 + 1], `count of latent ${j}`).toBe(sums[j * 2 + 1]);
  }
}

function expectClose(actual: Float32Array, expected: Float64Array, what: string): void {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]), `${what}[${i}]`).toBeLessThanOrEqual(1e-5 * scale));
}

async function check(c: Case, keepShare = 0.7) {
  const feeds = feedsFor(c, 5, keepShare);
  const out = await (await sessionFor(c)).run(feeds);
  const data = (n: string) => out[n].data as Float32Array;
  expectClose(data('a'), reference(c, feeds.coef_a.data as Float32Array, feeds.src_a.data as Float32Array), 'a');
  expectClose(data('b'), reference(c, feeds.coef_b.data as Float32Array, feeds.src_b.data as Float32Array), 'b');
  expectClose(data('single'), reference(c, feeds.coef_a.data as Float32Array, feeds.src_a.data as Float32Array), 'single');
  const v = feeds.values.data as Float32Array;
  const keep = feeds.keep.data as Uint8Array;
  expectValueSums(data('value_sums'), valueSums(c, v), c.dSae);
  expectClose(data('kept_a'), reference(c, feeds.coef_a.data as Float32Array, feeds.src_a.data as Float32Array, keep), 'kept_a');
  expectValueSums(data('kept_value_sums'), valueSums(c, v, keep), c.dSae);
  // Latents no token selected get exact zeros.
  const selected = new Set(c.idx.flat());
  for (let j = 0; j < c.dSae; j++) if (!selected.has(j)) expect(data('a').subarray(j * c.w, (j + 1) * c.w).every((x) => x === 0)).toBe(true);
  return { feeds, out };
}

describe('latent row sums (the sparse step\'s scatter-adds in a fixed order)', () => {
  it('picks about sqrt(8 N / d_sae) entries per group, a power of two in [1, 32]', () => {
    expect(latentGroupSize(4096 * 40, 4096)).toBe(16);
    expect(latentGroupSize(256 * 4, 48)).toBe(16);
    expect(latentGroupSize(64, 4096)).toBe(1);
    expect(latentGroupSize(4096 * 64, 256)).toBe(32);
    expect(latentGroupSize(512, 256)).toBe(4);
  });

  it('sums each latent\'s entries like a float64 loop, for groups of 1 to 32 entries', async () => {
    const cases = [randomCase(1, 32, 2, 512, 5), randomCase(2, 32, 4, 64, 7), randomCase(3, 512, 8, 16, 3)];
    // Every entry its own group; groups of 4; groups of 32 with runs of hundreds of entries.
    expect(cases.map((c) => latentGroupSize(c.B * c.slots, c.dSae))).toEqual([1, 4, 32]);
    for (const c of cases) await check(c);
  });

  it('handles a latent selected by every token and tokens that all pick the same latents', async () => {
    const B = 96;
    const everyone = { B, slots: 3, dSae: 40, w: 4, idx: Array.from({ length: B }, (_, b) => [7, (b % 5) + 10, 39]) };
    await check(everyone);
  });

  it('leaves out the entries not kept: some, all or none of them', async () => {
    const c = randomCase(7, 64, 4, 32, 6);
    for (const share of [0.3, 1, 0]) await check(c, share);
  });

  it('cuts wide sources into column chunks that bound the gathered rows', () => {
    const r = { entries: 4096 * 40, dSae: 4096, groupSize: 16 };
    // At most N / L + d_sae + 1 = 14,337 groups of 16 rows: 64 columns fit 2^24 floats.
    expect(latentChunkColumns(r, 512)).toBe(64);
    expect(latentChunkColumns(r, 48)).toBe(48);
    expect(latentChunkColumns(r, 10, 14_337 * 16 * 3)).toBe(3);
  });

  it('gives the same bits on every run and every intra-op thread count', async () => {
    // Big enough that ORT spreads index rows over threads (ScatterND "add" raced here).
    const c = randomCase(4, 1024, 8, 256, 64);
    const feeds = feedsFor(c, 6);
    const digests = new Set<string>();
    for (const threads of [1, 2, 3, 4]) {
      const s = await sessionFor(c, threads);
      for (let rep = 0; rep < 2; rep++) {
        const out = await s.run(feeds);
        digests.add(['a', 'b', 'single', 'value_sums', 'kept_a', 'kept_value_sums'].map((n) => Buffer.from((out[n].data as Float32Array).buffer).toString('base64')).join('|'));
      }
    }
    expect(digests.size).toBe(1);
  });
});
