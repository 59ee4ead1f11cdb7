import { describe, expect, it } from 'vitest';
import { sheetGroups } from './shortcuts';

describe('the ? sheet', () => {
  it('lists Everywhere and each group that has shortcuts; a group with none (a closed details panel) gets no heading', () => {
    const groups = sheetGroups([
      { group: 'Queue', shortcuts: [{ keys: 'n', description: 'New job' }] },
      { group: 'Details', shortcuts: [] },
    ]);
    expect(groups.map(([g, list]) => [g, list.length])).toEqual([
      ['Everywhere', 3],
      ['Queue', 1],
    ]);
  });
});
