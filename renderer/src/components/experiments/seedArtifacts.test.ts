import { describe, expect, it } from 'vitest';
import { detectSeedArtifact } from './seedArtifacts';

describe('seed artifacts by shape', () => {
  it('recognises per-seed nulls (a dict of records with effect and null mean)', () => {
    const value = { seed_0: { effect: 0.8, null_mean: 0.02, null_std: 0.01, n_null: 100, z: 78 }, seed_1: { effect: 0.7, null_mean: 0.03, null_std: 0.02, n_null: 100, z: 33.5 } };
    expect(detectSeedArtifact(value)).toEqual({
      kind: 'nulls',
      rows: [
        { seed: 'seed_0', effect: 0.8, nullMean: 0.02, nullSpread: 0.01, z: 78 },
        { seed: 'seed_1', effect: 0.7, nullMean: 0.03, nullSpread: 0.02, z: 33.5 },
      ],
    });
    expect(detectSeedArtifact({ runs: [{ seed: 3, delta: -1, mean_null: 0 }] })).toMatchObject({ kind: 'nulls', rows: [{ seed: '3', effect: -1, nullMean: 0, nullSpread: null, z: null }] });
  });

  it('recognises a steering sweep (columns against alpha), dropping constant columns', () => {
    const value = { alpha: [-2, 0, 2], delta_logit: [-1, 0, 1.5], kl: [0.2, 0, 0.3], feature: [17, 17, 17] };
    expect(detectSeedArtifact(value)).toEqual({
      kind: 'sweep',
      sweep: {
        xKey: 'alpha',
        series: [
          { key: 'delta_logit', points: [{ x: -2, y: -1 }, { x: 0, y: 0 }, { x: 2, y: 1.5 }] },
          { key: 'kl', points: [{ x: -2, y: 0.2 }, { x: 0, y: 0 }, { x: 2, y: 0.3 }] },
        ],
      },
    });
    expect(detectSeedArtifact([{ strength: 1, effect_size: 2 }, { strength: 2, effect_size: 3 }])).toMatchObject({ kind: 'sweep', sweep: { xKey: 'strength' } });
  });

  it('recognises probes one level down, and leaves other shapes to the tables', () => {
    const value = { task: 'step-onset', probes: { linear: { accuracy: 0.9, auc: 0.95, per_layer: [0.1, 0.2] }, sae_latents: { accuracy: 0.97, auc: 0.99 } }, confusion: [[1, 2], [3, 4]] };
    expect(detectSeedArtifact(value)).toEqual({
      kind: 'probes',
      rows: [
        { name: 'linear', accuracy: 0.9, auroc: 0.95 },
        { name: 'sae_latents', accuracy: 0.97, auroc: 0.99 },
      ],
    });
    expect(detectSeedArtifact({ model_a: 'x', top_diffs: [{ feature: 1, diff: 0.3 }] })).toEqual({ kind: 'unknown' });
    expect(detectSeedArtifact([1, 2, 3])).toEqual({ kind: 'unknown' });
  });
});
