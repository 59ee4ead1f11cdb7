import { afterEach, describe, expect, it } from 'vitest';
import type { JobView, PromptRunResult, PromptSources } from '../../preload/api';
import { makeTempDir } from '../testing/tempDirs';
import { createCore, type Core } from './core';
import { call } from '../testing/coreCalls';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startCore(): Core {
  const t = makeTempDir('prompt-home');
  cleanups.push(t.cleanup);
  const core = createCore({ home: t.dir, frontDoor: 'test' });
  cleanups.push(() => core.close());
  return core;
}

describe('prompt API', () => {
  it('generates the demo bundle in a worker on first use, then offers and runs the demo pair', async () => {
    const core = startCore();
    const first = await call<PromptSources>(core, 'prompt.sources', {});
    expect(first.models).toEqual([]);
    expect(first.demoJobId).not.toBeNull();
    // Asking again while it runs reuses the same job.
    expect((await call<PromptSources>(core, 'prompt.sources', {})).demoJobId).toBe(first.demoJobId);
    // The core adds the finished bundle to the Library (recognised in the interactive worker), then says so.
    const added = new Promise<void>((resolve) => {
      const off = core.subscribe((event, payload) => {
        if (event === 'library.changed' && (payload as { reason: string }).reason === 'added') {
          off();
          resolve();
        }
      });
    });
    const done = await new Promise<JobView>((resolve) => {
      const off = core.subscribe((event, payload) => {
        const job = payload as JobView;
        if (event === 'job.updated' && job.id === first.demoJobId && ['completed', 'failed'].includes(job.state)) {
          off();
          resolve(job);
        }
      });
    });
    expect(done.state).toBe('completed');
    await added;
    // The bundle is listed in the Library like an added folder: two models, two SAEs, the dataset.
    const library = await call<{ items: { kind: string; path: string }[] }>(core, 'library.list', {});
    const fromDemo = library.items.filter((i) => i.path.includes(`${'/demo/'}`));
    expect(fromDemo.filter((i) => i.kind === 'model')).toHaveLength(2);
    expect(fromDemo.filter((i) => i.kind === 'sae')).toHaveLength(2);
    expect(fromDemo.some((i) => i.kind === 'dataset')).toBe(true);

    const sources = await call<PromptSources>(core, 'prompt.sources', {});
    expect(sources.demoJobId).toBeNull();
    // Named as the Library names them: the models' config names, one "Demo bundle v1" group.
    expect(sources.models.map((m) => [m.label, m.group, m.dModel])).toEqual([
      ['sae-workbench/demo-adhd', 'Demo bundle v1', 64],
      ['sae-workbench/demo-standard', 'Demo bundle v1', 64],
    ]);
    const [adhdModel, standardModel] = sources.models.map((m) => m.path);
    const saeOf = (model: string) => sources.saes.find((x) => x.modelPath === model)!;
    expect(saeOf(adhdModel)).toMatchObject({ label: 'demo-adhd/blocks.2.hook_resid_post (demo, constructed) · 256 features · k 8', dIn: 64, dSae: 256, k: 8, layer: 2, linkReason: 'linked by model_name: cfg model_name "demo-adhd"' });
    // First visit: A is the standard model with its SAE, B the adhd model with its SAE.
    expect(sources.defaults).toEqual({ a: { modelPath: standardModel, saePath: saeOf(standardModel).path }, b: { modelPath: adhdModel, saePath: saeOf(adhdModel).path } });

    const d = sources.defaults!;
    const result = await call<PromptRunResult>(core, 'prompt.run', {
      text: 'Step 1: Boil the water. Step 2: Pour.',
      sides: [d.a, { ...d.b, features: [255, 3] }],
      topFeatures: 2,
      device: 'cpu',
    });
    expect(result.sides.map((s) => s.executionProvider)).toEqual(['cpu', 'cpu']);
    expect(result.sides.map((s) => [s.modelLabel, s.saeLabel, s.warnings])).toEqual([
      ['sae-workbench/demo-standard', 'demo-standard/blocks.2.hook_resid_post (demo, constructed) · 256 features · k 8', []],
      ['sae-workbench/demo-adhd', 'demo-adhd/blocks.2.hook_resid_post (demo, constructed) · 256 features · k 8', []],
    ]);
    const adhd = result.sides[1];
    expect(adhd.tokens.map((t) => t.text.trim())).toEqual(['<|endoftext|>', 'Step', '1', ':', 'Boil', 'the', 'water', '.', 'Step', '2', ':', 'Pour', '.']);
    // The planted feature is the strongest at "Step", but nothing names it: finding it is what the demo teaches (issue 17).
    expect(adhd.tokens[1].features[0]).toMatchObject({ feature: 255, label: null });
    expect(result.sides.flatMap((s) => s.tokens.flatMap((t) => t.features.map((f) => f.label)))).toEqual(expect.not.arrayContaining([expect.any(String)]));
    // Tracked features: one value per token, equal to the listed activation wherever it is listed, 0 where a TopK SAE did not select it.
    expect(adhd.tracked.map((t) => [t.feature, t.label, t.activations.length])).toEqual([
      [255, null, 13],
      [3, null, 13],
    ]);
    adhd.tokens.forEach((tok, i) => {
      const listed = tok.features.find((f) => f.feature === 255);
      if (listed) expect(adhd.tracked[0].activations[i]).toBe(listed.activation);
    });
    expect(adhd.tracked[0].activations[1]).toBeGreaterThan(6);
    expect(adhd.tracked[0].activations[8]).toBeGreaterThan(6);
    expect(adhd.tracked[0].activations[5]).toBe(0);

    // A pairing the user forces (the adhd SAE on the standard model, same width) runs, with a warning.
    const forced = await call<PromptRunResult>(core, 'prompt.run', { text: 'Step 1', sides: [{ modelPath: standardModel, saePath: saeOf(adhdModel).path }], device: 'cpu' });
    expect(forced.sides[0].warnings).toEqual([
      'The SAE demo-adhd/blocks.2.hook_resid_post (demo, constructed) · 256 features · k 8 belongs to sae-workbench/demo-adhd (linked by model_name: cfg model_name "demo-adhd"), not to sae-workbench/demo-standard: it runs because the widths match, but its features were learned on the other model\'s activations.',
    ]);
    // The user's own labels show at once; the demo's ground truth only when asked for.
    await call(core, 'label.set', { sae: d.b.saePath, feature: 3, label: 'my guess' });
    const labelled = await call<PromptRunResult>(core, 'prompt.run', { text: 'Step 1', sides: [{ ...d.b, features: [255, 3] }], device: 'cpu' });
    expect(labelled.sides[0].tracked.map((t) => [t.feature, t.label])).toEqual([
      [255, null],
      [3, 'my guess'],
    ]);
    await call(core, 'label.applyDemoTruth', {});
    const truth = await call<PromptRunResult>(core, 'prompt.run', { text: 'Step 1', sides: [d.a, d.b], device: 'cpu', topFeatures: 1 });
    expect(truth.sides.map((s) => s.tokens[1].features[0].label)).toEqual(['token "Step"', 'planted step-onset direction']);

    const badFeature = await core.call('prompt.run', { text: 'Step', sides: [{ ...d.a, features: [256] }], device: 'cpu' });
    expect(badFeature).toMatchObject({ ok: false, error: { code: 'PROMPT_FEATURE_RANGE', hint: 'Choose a feature from 0 to 255.' } });
  }, 120_000);

  it('rejects over-long text and missing folders with a named error', async () => {
    const core = startCore();
    const long = await core.call('prompt.run', { text: 'x'.repeat(2001), sides: [{ modelPath: '/m', saePath: '/s' }] });
    expect(long).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    const badDevice = await core.call('prompt.run', { text: 'hello', sides: [{ modelPath: '/m', saePath: '/s' }], device: 'tpu' });
    expect(badDevice).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', message: expect.stringContaining('device') } });
    const missing = await core.call('prompt.run', { text: 'hello', sides: [{ modelPath: '/does/not/exist', saePath: '/s' }] });
    expect(missing).toMatchObject({ ok: false, error: { code: 'MODEL_NOT_FOUND', message: expect.stringContaining('/does/not/exist') } });
  });
});
