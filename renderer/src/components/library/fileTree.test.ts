import { describe, expect, it } from 'vitest';
import { buildFileTree, filesUnder, selectionState, toggleNode } from './fileTree';

const files = [
  { path: 'adhd_L2_hook_resid_post/sae_weights.safetensors', size: 1000, cached: false },
  { path: 'adhd_L2_hook_resid_post/cfg.json', size: 10, cached: true },
  { path: 'feature_diff.json', size: 5 },
  { path: 'std_L0_hook_resid_post/cfg.json', size: 7 },
];

describe('buildFileTree', () => {
  it('nests by folder, sums sizes, lists folders first then files by name', () => {
    const root = buildFileTree(files);
    expect(root.size).toBe(1022);
    expect(root.children!.map((c) => [c.name, c.size, c.children === null])).toEqual([
      ['adhd_L2_hook_resid_post', 1010, false],
      ['std_L0_hook_resid_post', 7, false],
      ['feature_diff.json', 5, true],
    ]);
    expect(root.children![0].children!.map((c) => [c.path, c.cached])).toEqual([
      ['adhd_L2_hook_resid_post/cfg.json', true],
      ['adhd_L2_hook_resid_post/sae_weights.safetensors', false],
    ]);
  });

  it('selects and clears whole folders; reports partial selection', () => {
    const root = buildFileTree(files);
    const adhd = root.children![0];
    let sel = toggleNode(adhd, new Set());
    expect([...sel].sort()).toEqual(filesUnder(adhd).sort());
    expect(selectionState(root, sel)).toBe('some');
    expect(selectionState(adhd, sel)).toBe('all');
    sel = toggleNode(root, sel);
    expect(sel.size).toBe(4);
    sel = toggleNode(root, sel);
    expect(sel.size).toBe(0);
    expect(selectionState(adhd, sel)).toBe('none');
  });
});
