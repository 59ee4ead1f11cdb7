import { describe, expect, it } from 'vitest';
import { DEFAULT_GATES } from '../../preload/contract/train';
import { coFiringPearson, densityHistogram, dictionaryMetrics, SparseCodes } from './dictionaryMetrics';
import { judgeGates } from './evalRun';

/**
 * A constructed SAE (d_in 12, 10 latents) with planted near-duplicates, every figure worked out by hand:
 *  L0 = e0, L8 = 0.95 e0 + sqrt(1 - 0.95²) e8            -> a pair at cosine 0.95
 *  L5 = e5, L6 = 0.93 L5 + ..., L7 = 0.93 L6 + ...        -> a chain: 5~6 and 6~7 at 0.93, 5~7 at 0.8649 (< 0.9)
 *  L3 = e3, L4 = 0.85 e3 + ...                            -> similar, not a duplicate
 *  L2 = e2, L9 = 0.92 e2 + ... but L9 never fires         -> a dead copy does not count
 *  L1 = e1                                                -> alone
 */
const dIn = 12;
const dSae = 10;
function unit(parts: [number, number][]): number[] {
  const v = new Array<number>(dIn).fill(0);
  for (const [i, x] of parts) v[i] = x;
  return v;
}
const c = (x: number) => Math.sqrt(1 - x * x);
const L6 = unit([[5, 0.93], [6, c(0.93)]]);
const rows = [
  unit([[0, 1]]),
  unit([[1, 1]]),
  unit([[2, 1]]),
  unit([[3, 1]]),
  unit([[3, 0.85], [10, c(0.85)]]),
  unit([[5, 1]]),
  L6,
  L6.map((v, i) => 0.93 * v + (i === 11 ? c(0.93) : 0)),
  unit([[0, 0.95], [8, c(0.95)]]),
  unit([[2, 0.92], [9, c(0.92)]]),
];
// Decoder rows of arbitrary norms: cosines must not depend on them.
const W_dec = Float32Array.from(rows.flatMap((r, j) => r.map((v) => v * (1 + j))));

/** 100 tokens. L0 on even tokens (value t+1), L8 with it at twice the value; L5 on t < 25, L6 on t < 50, L7 on t >= 50 (value 1); L1..L4 once each; L9 never. */
function codes(): SparseCodes {
  const s = new SparseCodes();
  for (let t = 0; t < 100; t++) {
    const ids: number[] = [];
    const vals: number[] = [];
    const fire = (l: number, v: number) => (ids.push(l), vals.push(v));
    if (t % 2 === 0) {
      fire(0, t + 1);
      fire(8, 2 * (t + 1));
    }
    if (t < 25) fire(5, 1);
    if (t < 50) fire(6, 1);
    else fire(7, 1);
    if (t >= 1 && t <= 4) fire(t, 0.5);
    s.addRow(ids, vals);
  }
  return s;
}

function fireCounts(s: SparseCodes): Float64Array {
  const f = new Float64Array(dSae);
  for (let r = 0; r < s.rows; r++) s.forEachInRow(r, (l) => f[l]++);
  return f;
}

describe('dictionary metrics on a constructed SAE with planted duplicates', () => {
  it('counts live latents with a live near-copy, groups them, and gives max / mean max cosine', async () => {
    const s = codes();
    const fc = fireCounts(s);
    expect(Array.from(fc)).toEqual([50, 1, 1, 1, 1, 25, 50, 50, 50, 0]);
    const m = await dictionaryMetrics({ W_dec, dSae, dIn, fireCounts: fc, tokens: 100, codes: s }, 'cpu');
    expect(m.live).toBe(9);
    // L0, L8, L5, L6, L7 have a live latent at cosine >= 0.9: 5 of 9 live latents.
    expect(m.duplicates).toBe(5);
    expect(m.duplicate_pct).toBeCloseTo((100 * 5) / 9, 10);
    expect(m.max_cosine).toBeCloseTo(0.95, 5);
    // Max cosines: L0, L8 0.95; L1, L2 0 (L2's copy is dead); L3, L4 0.85; L5, L6, L7 0.93.
    expect(m.mean_max_cosine).toBeCloseTo((2 * 0.95 + 2 * 0.85 + 3 * 0.93) / 9, 5);
    expect(m.group_count).toBe(2);
    expect(m.groups.map((g) => g.latents)).toEqual([[5, 6, 7], [0, 8]]);
    const chain = m.groups[0];
    expect(chain.pair_count).toBe(2);
    expect(chain.pairs.map((p) => [p.a, p.b])).toEqual([[5, 6], [6, 7]]);
    for (const p of chain.pairs) expect(p.cosine).toBeCloseTo(0.93, 5);
    // Binary firing: L5 (25 tokens) inside L6 (50): r = 0.125 / sqrt(0.1875 x 0.25) = 1 / sqrt(3); L6 and L7 never together: r = -1.
    expect(chain.pairs[0].co_firing_r).toBeCloseTo(1 / Math.sqrt(3), 10);
    expect(chain.pairs[1].co_firing_r).toBeCloseTo(-1, 10);
    // L8 fires with L0 at twice its value: r = 1.
    expect(m.groups[1].pairs).toHaveLength(1);
    expect(m.groups[1].pairs[0].cosine).toBeCloseTo(0.95, 5);
    expect(m.groups[1].pairs[0].co_firing_r).toBeCloseTo(1, 10);
    // Density > 10 %: L0, L5, L6, L7, L8 of all 10 latents.
    expect(m.dense_pct).toBe(50);
    // log10 density from -2 (1 / 100 tokens) to 0 in bins of 0.25: L1..L4 at -2 (bin 0), L5 at -0.60 (bin 5), L0, L6, L7, L8 at -0.30 (bin 6).
    expect(m.density_histogram).toEqual({ log10_min: -2, bin_width: 0.25, counts: [4, 0, 0, 0, 0, 1, 4, 0], dead: 1 });
  });

  it('a dictionary with fewer than two live latents has no duplicates', async () => {
    const s = new SparseCodes();
    s.addRow([3], [1]);
    const fc = new Float64Array(dSae);
    fc[3] = 1;
    const m = await dictionaryMetrics({ W_dec, dSae, dIn, fireCounts: fc, tokens: 1, codes: s }, 'cpu');
    expect(m).toMatchObject({ live: 1, duplicates: 0, duplicate_pct: 0, max_cosine: 0, groups: [], dense_pct: 10 });
    expect(densityHistogram([0, 2, 0], 4).dead).toBe(2);
    expect(coFiringPearson(s, [[3, 4]])).toEqual([0]);
  });

  it('the duplicate gate warns by default, fails when asked, and can be turned off', () => {
    const m = { fve: 0.95, dead_pct: 0, duplicate_pct: 55.6 };
    const warn = judgeGates(m, DEFAULT_GATES);
    expect(warn.passed).toBe(true);
    expect(warn.gates.find((g) => g.name === 'duplicates %')).toMatchObject({ pass: false, blocking: false, threshold: 5 });
    expect(judgeGates(m, { ...DEFAULT_GATES, duplicateGate: 'fail' }).passed).toBe(false);
    expect(judgeGates(m, { ...DEFAULT_GATES, duplicateGate: 'off' }).gates.map((g) => g.name)).toEqual(['FVE', 'dead %']);
    expect(judgeGates({ ...m, duplicate_pct: 4 }, { ...DEFAULT_GATES, duplicateGate: 'fail' }).passed).toBe(true);
  });
});
