import { describe, expect, it } from 'vitest';
import { flattenRecord, formatScalar, sortRows, toTables } from './jsonTables';

describe('toTables: any JSON shape becomes tables', () => {
  it('an array of records: one row per record, nested small objects as dotted columns, union of keys', () => {
    const [t] = toTables([
      { feature: 3, diff: 0.25, stats: { t: 2.5, p: 0.01 } },
      { feature: 9, diff: -0.5, stats: { t: -1, p: 0.3 }, label: 'step onset' },
    ]);
    expect(t.columns).toEqual(['#', 'feature', 'diff', 'stats.t', 'stats.p', 'label']);
    expect(t.rows).toEqual([
      ['0', 3, 0.25, 2.5, 0.01, undefined],
      ['1', 9, -0.5, -1, 0.3, 'step onset'],
    ]);
  });

  it('a dict of records: a table keyed by the dict key', () => {
    const tables = toTables({ seed_0: { effect: 0.4, null_mean: 0.01 }, seed_1: { effect: 0.6, null_mean: 0.02, z: 3 } });
    expect(tables).toEqual([{ title: '', columns: ['key', 'effect', 'null_mean', 'z'], rows: [['seed_0', 0.4, 0.01, undefined], ['seed_1', 0.6, 0.02, 3]] }]);
  });

  it('a dict of equal-length arrays: one row per index', () => {
    const [t] = toTables({ alpha: [-2, 0, 2], delta: [0.5, 0, -0.5] });
    expect(t.columns).toEqual(['#', 'alpha', 'delta']);
    expect(t.rows).toEqual([['0', -2, 0.5], ['1', 0, 0], ['2', 2, -0.5]]);
  });

  it('mixed objects: scalars as key/value rows, each structure its own titled table', () => {
    const tables = toTables({
      task: 'step-onset',
      seeds: [0, 1, 2],
      matching: { method: 'hungarian', mean_cosine: 0.7 },
      probes: { linear: { acc: 0.9, per_layer: [0.1, 0.2] }, mlp: { acc: 0.8, per_layer: [0.3, 0.4] } },
      confusion: [[50, 2], [3, 45]],
    });
    expect(tables.map((t) => t.title)).toEqual(['', 'probes', 'confusion']);
    expect(tables[0].rows).toEqual([['task', 'step-onset'], ['seeds', [0, 1, 2]], ['matching.method', 'hungarian'], ['matching.mean_cosine', 0.7]]);
    expect(tables[1]).toEqual({ title: 'probes', columns: ['key', 'acc', 'per_layer'], rows: [['linear', 0.9, [0.1, 0.2]], ['mlp', 0.8, [0.3, 0.4]]] });
    expect(tables[2]).toEqual({ title: 'confusion', columns: ['#', '0', '1'], rows: [['0', 50, 2], ['1', 3, 45]] });
  });

  it('scalars, empty values and long lists', () => {
    expect(toTables(42)).toEqual([{ title: '', columns: ['key', 'value'], rows: [['value', 42]] }]);
    expect(toTables([])[0].rows).toEqual([['value', '(empty list)']]);
    expect(toTables({})[0].rows).toEqual([['value', '(empty object)']]);
    const long = Array.from({ length: 20 }, (_, i) => i * 0.5);
    const [t] = toTables({ values: long, note: 'x' }).slice(1);
    expect(t.title).toBe('values');
    expect(t.rows).toHaveLength(20);
    expect(t.rows[3]).toEqual(['3', 1.5]);
    // A long list of numbers is also a series, drawn as a plot with its rows on request.
    expect(t.series).toEqual(long);
    // Short ones stay inline; lists with anything but finite numbers stay tables.
    expect(toTables([1, 2, 3])[0].series).toBeUndefined();
    expect(toTables([...long, null])[0].series).toBeUndefined();
    expect(toTables([...long, 'x'])[0].series).toBeUndefined();
  });

  it('keeps deep or large nests as values for the viewer to expand', () => {
    const deep = { a: { b: { c: { d: 1, e: 2 } } } };
    const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    expect(flattenRecord({ deep, big, x: 1 })).toEqual({ 'deep.a.b.c.d': 1, 'deep.a.b.c.e': 2, big, x: 1 });
    const [t] = toTables([{ id: 1, big }, { id: 2, big }]);
    expect(t.columns).toEqual(['#', 'id', 'big']);
    expect(t.rows[0][2]).toBe(big);
  });
});

describe('formatScalar and sortRows', () => {
  it('formats floats to 6 significant digits and inline arrays', () => {
    expect(formatScalar(0.1234567891)).toBe('0.123457');
    expect(formatScalar(1e-9)).toBe('1e-9');
    expect(formatScalar([1, 0.5, null])).toBe('[1, 0.5, null]');
    expect(formatScalar(undefined)).toBe('');
  });

  it('sorts numbers numerically either way, missing values last', () => {
    const rows = [['a', 10], ['b', undefined], ['c', 2], ['d', -1]];
    expect(sortRows(rows, 1, 1).map((r) => r[0])).toEqual(['d', 'c', 'a', 'b']);
    expect(sortRows(rows, 1, -1).map((r) => r[0])).toEqual(['a', 'c', 'd', 'b']);
    expect(sortRows([['x2'], ['x10'], ['x1']], 0, 1).map((r) => r[0])).toEqual(['x1', 'x2', 'x10']);
  });
});
