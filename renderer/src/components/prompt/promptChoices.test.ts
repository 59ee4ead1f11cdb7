import { describe, expect, it } from 'vitest';
import type { PromptRunResult, PromptSaeOption, PromptSideResult, PromptSources } from '../../../../preload/api';
import { alignedPosition, bestSaeFor, featureDifference, parseTokenParam, saeChoicesFor, strongestFeature } from './promptChoices';

const sae = (path: string, dIn: number, modelPath: string | null, layer: number): PromptSaeOption => ({ path, label: path, detail: '', dIn, dSae: 8, architecture: 'topk', k: 2, hookName: `blocks.${layer}.hook_resid_post`, layer, modelPath, linkReason: '', origin: 'library' });
const sources: PromptSources = {
  models: [
    { path: '/m/std', label: 'std', detail: '', dModel: 64, group: 'Library', origin: 'library' },
    { path: '/m/adhd', label: 'adhd', detail: '', dModel: 64, group: 'Library', origin: 'library' },
    { path: '/m/big', label: 'big', detail: '', dModel: 768, group: 'Library', origin: 'library' },
  ],
  saes: [sae('/s/adhd-L2', 64, '/m/adhd', 2), sae('/s/std-L3', 64, '/m/std', 3), sae('/s/std-L2', 64, '/m/std', 2), sae('/s/free', 64, null, 1), sae('/s/big', 768, '/m/big', 5)],
  defaults: null,
  maxChars: 2000,
  demoJobId: null,
};

describe('Prompt pickers', () => {
  it('offer only SAEs of the model\'s width, linked ones first (by layer), the others after', () => {
    const c = saeChoicesFor(sources, '/m/std');
    expect(c.linked.map((s) => s.path)).toEqual(['/s/std-L2', '/s/std-L3']);
    expect(c.others.map((s) => s.path)).toEqual(['/s/free', '/s/adhd-L2']);
    expect(saeChoicesFor(sources, '/m/big')).toEqual({ linked: [sources.saes[4]], others: [] });
  });

  it('pick a linked SAE at the layer asked for, else the first linked one', () => {
    expect(bestSaeFor(sources, '/m/std', 3)!.path).toBe('/s/std-L3');
    expect(bestSaeFor(sources, '/m/adhd', 3)!.path).toBe('/s/adhd-L2');
    expect(bestSaeFor(sources, '/m/none')).toBeNull();
  });
});

const side = (texts: string[], feats: [number, number][][], tracked: number[]): PromptSideResult => ({
  modelPath: '', modelName: '', modelLabel: '', saeLabel: '', warnings: [], saePath: '', hookName: '', dSae: 8, maxActivation: 0, truncatedTokens: 0, executionProvider: 'cpu',
  tokens: texts.map((text, position) => ({ position, id: position, text, bos: false, features: feats[position].map(([feature, activation]) => ({ feature, activation, label: null })) })),
  tracked: [{ feature: 1, label: null, activations: tracked }],
});

describe('Prompt token positions and diff mode', () => {
  const result: PromptRunResult = {
    elapsedMs: 1,
    sides: [side(['a', 'Step', 'b'], [[[3, 1]], [[5, 2]], []], [0, 1, 0.5]), side(['a', 'Step', 'b'], [[], [[7, 9]], [[2, 1]]], [0, 4, 0])],
  };
  it('reads the selected token from the URL and lines positions up across sides', () => {
    expect(parseTokenParam('1:2')).toEqual({ side: 1, position: 2 });
    expect(parseTokenParam('2:2')).toBeNull();
    expect(alignedPosition(result, { side: 0, position: 1 }, 1)).toBe(1);
    const shifted = { ...result, sides: [result.sides[0], side(['x', 'a', 'Step'], [[], [], []], [0, 0, 0])] };
    expect(alignedPosition(shifted, { side: 0, position: 1 }, 1)).toBeNull();
    expect(featureDifference(shifted)).toBeNull();
  });

  it('diff: B\'s chosen feature minus A\'s at each token, on one symmetric scale', () => {
    expect(featureDifference(result)).toEqual({ a: [0, 1, 0.5], b: [0, 4, 0], difference: [0, 3, -0.5], maxAbs: 3, max: 4 });
  });

  it('the strongest feature at a token or over the text, to start diff mode from', () => {
    expect(strongestFeature(result.sides[1], 2)).toBe(2);
    expect(strongestFeature(result.sides[1], null)).toBe(7);
    expect(strongestFeature(result.sides[0], 2)).toBeNull();
  });
});
