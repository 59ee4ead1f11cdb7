import { describe, expect, it } from 'vitest';
import { layerFromHookName, parseSaeFolderName } from './saeFolderName';

describe('parseSaeFolderName', () => {
  it.each([
    ['adhd_L2_hook_resid_post', { variant: 'adhd', layer: 2, hook: 'hook_resid_post' }],
    ['standard_L0_hook_resid_post', { variant: 'standard', layer: 0, hook: 'hook_resid_post' }],
    ['L11_hook_mlp_out', { variant: null, layer: 11, hook: 'hook_mlp_out' }],
    ['my-model_layer3_resid_pre', { variant: 'my-model', layer: 3, hook: 'hook_resid_pre' }],
  ])('%s', (name, expected) => expect(parseSaeFolderName(name)).toEqual(expected));

  it('rejects folders that do not name a layer and hook', () => {
    expect(parseSaeFolderName('blocks.2.hook_resid_post')).toBeNull();
    expect(parseSaeFolderName('checkpoints')).toBeNull();
  });

  it('reads the layer from TransformerLens hook names', () => {
    expect(layerFromHookName('blocks.7.hook_resid_post')).toBe(7);
    expect(layerFromHookName('hook_embed')).toBeNull();
    expect(layerFromHookName(null)).toBeNull();
  });
});
