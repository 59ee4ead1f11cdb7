import { describe, expect, it } from 'vitest';
import { addDirection, replaceComponent, unitVector } from './directionEdits';

const x = { data: Float32Array.from([1, 2, 3, 4, 0, 0]), shape: [3, 2] };

describe('direction edits', () => {
  it('add c v at the chosen rows only', () => {
    expect(Array.from(addDirection(x, [1, -1], 2, Uint8Array.from([1, 0, 1])).data)).toEqual([3, 0, 3, 4, 2, -2]);
  });

  it('replace sets the component along v to c (0 projects it out), other rows untouched', () => {
    // v = (3, 4): u = (0.6, 0.8). Row (1, 2): x.u = 2.2 -> (1, 2) + (c - 2.2) u.
    const out = replaceComponent(x, [3, 4], 0, Uint8Array.from([1, 1, 0]));
    expect(out.data[0]).toBeCloseTo(1 - 2.2 * 0.6, 6);
    expect(out.data[1]).toBeCloseTo(2 - 2.2 * 0.8, 6);
    expect(out.data[0] * 0.6 + out.data[1] * 0.8).toBeCloseTo(0, 6);
    // Row (3, 4): x.u = 5; set to 1 -> (0.6, 0.8).
    expect([out.data[2], out.data[3]].map((v) => Math.abs(Number(v.toFixed(6))))).toEqual([0, 0]);
    const one = replaceComponent(x, [3, 4], 1, Uint8Array.from([0, 1, 0]));
    expect([one.data[2], one.data[3]].map((v) => Number(v.toFixed(6)))).toEqual([0.6, 0.8]);
    expect(Array.from(one.data.subarray(0, 2))).toEqual([1, 2]);
    expect(Array.from(unitVector([0, 0]))).toEqual([0, 0]);
  });
});
