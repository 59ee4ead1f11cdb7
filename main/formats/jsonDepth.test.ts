import { describe, expect, it } from 'vitest';
import { jsonNestingDepth } from './jsonDepth';

describe('jsonNestingDepth', () => {
  it('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    expect(jsonNestingDepth('1', 10)).toBe(0);
    expect(jsonNestingDepth('"[[[{"', 10)).toBe(0);
    expect(jsonNestingDepth('[[1], {"a": [2]}]', 10)).toBe(3);
    expect(jsonNestingDepth('{"k\\"[[": ["\\\\", "]"], "b": {}}', 10)).toBe(2);
    for (const v of [[], [[[]]], { a: [{ b: { c: [1, '[{'] } }] }, 'x\\"]', [[1, [2, [3]]]]]) {
      const text = JSON.stringify(v);
      const depth = (x: unknown): number => (x && typeof x === 'object' ? 1 + Math.max(0, ...Object.values(x).map(depth)) : 0);
      expect(jsonNestingDepth(text, 100)).toBe(depth(v));
    }
  });

  it('stops once past the limit', () => {
    expect(jsonNestingDepth('['.repeat(1_000_000), 256)).toBe(257);
    expect(jsonNestingDepth(`${'['.repeat(256)}${']'.repeat(256)}`, 256)).toBe(256);
  });
});
