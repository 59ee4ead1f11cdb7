import { describe, expect, it } from 'vitest';
import { ablationSubject, ablateTitle, describeFeatures, probeTitle, steeringSubject, steerTitle, swapSubject } from './verdictSubjects';

describe('what an experiment did, in words (one place for subjects and titles)', () => {
  it('names features, models and interventions', () => {
    expect(describeFeatures([255])).toBe('feature #255');
    expect(describeFeatures([1, 2, 3, 4, 5, 6, 7])).toBe('features #1, #2, #3, #4, #5, #6, … (7)');
    expect(ablationSubject('mean', [4, 22], 'm')).toBe('Mean-ablating features #4, #22 in m');
    expect(steeringSubject({ intervention: 'replace', feature: 255, strength: 0, model: 'std', carriedFrom: 'adhd', where: ' at the condition positions' })).toBe(
      "Setting the component along W_dec[#255] (carried from adhd's SAE) to 0 at the condition positions in std",
    );
    expect(steeringSubject({ intervention: 'add', feature: 3, strength: 8.7891, model: 'm', carriedFrom: null, where: '' })).toBe('Adding 8.79 × W_dec[#3] in m');
    expect(swapSubject({ mode: 'latents', hook: 'h', modelA: 'a', modelB: 'b', features: 'all' })).toBe("Swapping all latents of b's SAE into a");
  });

  it('titles a four-panel steer by model, so panels that differ only in their model are told apart', () => {
    const panels = [
      { model: 'adhd', feature: 255, intervention: 'add' as const, carried: false },
      { model: 'adhd', feature: 255, intervention: 'ablate' as const, carried: false },
      { model: 'standard', feature: 255, intervention: 'add' as const, carried: true },
      { model: 'standard', feature: 255, intervention: 'replace' as const, carried: true },
    ];
    expect(steerTitle(panels, 'logit:quickly')).toBe('Steer adhd: #255 add, #255 ablate · standard: #255 add (carried), #255 replace (carried) · logit:quickly');
    expect(ablateTitle({ features: [1, 2, 3, 4, 5], metric: 'ce' }, 'sae')).toBe('Ablate features #1, #2, #3, #4… of sae · ce');
    expect(probeTitle({ condition: 'c', probes: [{}, {}] }, ['a', 'b', 'a'])).toBe('Probe c · 2 probes on a, b');
  });
});
