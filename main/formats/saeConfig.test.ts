import { describe, expect, it } from 'vitest';
import { parseSaeConfig } from './saeConfig';
import { v6TopkCfg } from './testing/saeFixture';
import { errorOf } from '../testing/workbenchErrors';

/** A sae_lens 5.x cfg.json (flat), as written by TrainingSAE.save_model. */
function v5Cfg(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architecture: 'topk',
    d_in: 768,
    d_sae: 24576,
    activation_fn_str: 'topk',
    activation_fn_kwargs: { k: 32 },
    apply_b_dec_to_input: false,
    finetuning_scaling_factor: false,
    context_size: 1024,
    model_name: 'gpt2-small',
    hook_name: 'blocks.8.hook_resid_pre',
    hook_layer: 8,
    hook_head_index: null,
    prepend_bos: true,
    dataset_path: 'Skylion007/openwebtext',
    dataset_trust_remote_code: true,
    normalize_activations: 'none',
    dtype: 'torch.float32',
    device: 'cuda',
    sae_lens_training_version: '5.3.0',
    ...over,
  };
}

describe('parseSaeConfig', () => {
  it('reads a v6 TopK cfg with nested metadata', () => {
    const c = parseSaeConfig({ ...v6TopkCfg(16, 64, 4), rescale_acts_by_decoder_norm: true });
    expect(c).toMatchObject({
      architecture: 'topk',
      dIn: 16,
      dSae: 64,
      k: 4,
      hookName: 'blocks.1.hook_resid_post',
      hookLayer: 1,
      modelName: 'tiny-gpt2',
      dtype: 'float32',
      applyBDecToInput: true,
      normalizeActivations: 'none',
      rescaleActsByDecoderNorm: true,
      contextSize: 64,
      prependBos: true,
      inputScalingFactor: null,
      cfgGeneration: 'v6',
    });
    expect(c.raw.metadata).toBeDefined();
  });

  it('reads the nested block under "meta" too (what SAEConfig.to_dict writes in later 6.x)', () => {
    const { metadata, ...rest } = v6TopkCfg(16, 64, 4);
    const c = parseSaeConfig({ ...rest, reshape_activations: 'none', meta: { ...(metadata as object), hook_layer: 1, sae_lens_version: '6.12.1' } });
    expect(c).toMatchObject({ hookName: 'blocks.1.hook_resid_post', modelName: 'tiny-gpt2', contextSize: 64, prependBos: true, cfgGeneration: 'v6', k: 4 });
  });

  it('reads a v5 flat TopK cfg (k in activation_fn_kwargs, torch dtype)', () => {
    const c = parseSaeConfig(v5Cfg());
    expect(c).toMatchObject({ architecture: 'topk', k: 32, dIn: 768, dSae: 24576, hookName: 'blocks.8.hook_resid_pre', hookLayer: 8, modelName: 'gpt2-small', dtype: 'float32', applyBDecToInput: false, contextSize: 1024, cfgGeneration: 'v5', rescaleActsByDecoderNorm: false });
  });

  it('reads "standard" with activation_fn_str topk as TopK, and plain standard as ReLU', () => {
    expect(parseSaeConfig(v5Cfg({ architecture: 'standard' }))).toMatchObject({ architecture: 'topk', k: 32 });
    const relu = parseSaeConfig(v5Cfg({ architecture: 'standard', activation_fn_str: 'relu', activation_fn_kwargs: {} }));
    expect(relu).toMatchObject({ architecture: 'standard', k: null });
  });

  it('reads a JumpReLU cfg and the v4 generation label', () => {
    const c = parseSaeConfig(v5Cfg({ architecture: 'jumprelu', activation_fn_str: 'relu', activation_fn_kwargs: {}, sae_lens_training_version: '4.1.0' }));
    expect(c).toMatchObject({ architecture: 'jumprelu', k: null, cfgGeneration: 'v4' });
  });

  it('reads the oldest flat cfgs: hook_point, boolean normalize_activations, no architecture', () => {
    const { hook_name: _h, architecture: _a, sae_lens_training_version: _v, activation_fn_kwargs: _k, ...rest } = v5Cfg({ activation_fn_str: 'relu', normalize_activations: true, hook_point: 'blocks.3.hook_mlp_out', hook_point_layer: 3 });
    delete rest.prepend_bos;
    delete rest.apply_b_dec_to_input;
    const c = parseSaeConfig(rest);
    expect(c).toMatchObject({ architecture: 'standard', hookName: 'blocks.3.hook_mlp_out', hookLayer: 3, normalizeActivations: 'expected_average_only_in', prependBos: true, applyBDecToInput: true, cfgGeneration: 'pre-v4' });
  });

  it('takes every normalize_activations value and the scaling factor of an unfolded checkpoint', () => {
    for (const n of ['none', 'constant_norm_rescale', 'layer_norm', 'expected_average_only_in'] as const) {
      expect(parseSaeConfig({ ...v6TopkCfg(8, 16, 2), normalize_activations: n }).normalizeActivations).toBe(n);
    }
    const cfg = { ...v6TopkCfg(8, 16, 2), normalize_activations: 'expected_average_only_in' };
    expect(parseSaeConfig(cfg, 'cfg.json', { scaling_factor: 2.5 }).inputScalingFactor).toBe(2.5);
    expect(parseSaeConfig(cfg, 'cfg.json', { scaling_factor: null }).inputScalingFactor).toBeNull();
    expect(parseSaeConfig({ ...cfg, normalize_activations: 'none' }, 'cfg.json', { scaling_factor: 2.5 }).inputScalingFactor).toBeNull();
    expect(errorOf(() => parseSaeConfig(cfg, 'cfg.json', { scaling_factor: -1 })).message).toMatch(/scaling_factor is -1/);
  });

  it('takes the layer from hook_name, null outside blocks', () => {
    const c = parseSaeConfig({ ...v6TopkCfg(8, 16, 2), metadata: { hook_name: 'hook_embed' } });
    expect(c.hookLayer).toBeNull();
    expect(parseSaeConfig({ ...v6TopkCfg(8, 16, 2), metadata: { hook_name: 'blocks.11.attn.hook_z' } }).hookLayer).toBe(11);
  });

  it('lists the supported architectures for an unknown one', () => {
    const err = errorOf(() => parseSaeConfig({ ...v6TopkCfg(8, 16, 2), architecture: 'gated' }, 'x/cfg.json'));
    expect(err.code).toBe('SAE_ARCHITECTURE_UNSUPPORTED');
    expect(err.message).toMatch(/x\/cfg\.json: architecture "gated" is not supported \(supported: topk, standard .*jumprelu\)/);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['missing d_in', { d_in: undefined }, /field "d_in" is missing; expected a positive integer/],
    ['string d_sae', { d_sae: '64' }, /field "d_sae" is "64"/],
    ['k above d_sae', { k: 65 }, /field "k" is 65; expected an integer k with 0 < k <= d_sae \(64\)/],
    ['fractional k', { k: 2.5 }, /field "k" is 2.5/],
    ['unknown dtype', { dtype: 'int4' }, /field "dtype" is "int4"/],
    ['unknown normalisation', { normalize_activations: 'magic' }, /field "normalize_activations" is "magic"/],
    ['non-boolean apply_b_dec_to_input', { apply_b_dec_to_input: 'yes' }, /field "apply_b_dec_to_input" is "yes"/],
    ['no hook name', { metadata: { model_name: 'm' } }, /field "hook_name" is missing/],
    ['metadata not an object', { metadata: 5 }, /field "metadata" is 5; expected an object/],
  ];
  for (const [what, edit, message] of bad) {
    it(`rejects ${what} with the field and value`, () => {
      const err = errorOf(() => parseSaeConfig({ ...v6TopkCfg(16, 64, 4), ...edit }, 'sae/cfg.json'));
      expect(err.code).toBe('SAE_CONFIG_INVALID');
      expect(err.message).toMatch(/^sae\/cfg\.json: /);
      expect(err.message).toMatch(message);
      expect(err.hint).toBeTruthy();
    });
  }

  it('rejects a cfg that is not an object', () => {
    expect(errorOf(() => parseSaeConfig([1])).message).toMatch(/is an array, not a JSON object/);
  });
});
