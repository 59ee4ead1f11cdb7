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
    // The bundle is listed in the Library like an added folder: two models, two SAEs, the dataset.
    const library = await call<{ items: { kind: string; path: string }[] }>(core, 'library.list', {});
    const fromDemo = library.items.filter((i) => i.path.includes(`${'/demo/'}`));
    expect(fromDemo.filter((i) => i.kind === 'model')).toHaveLength(2);
    expect(fromDemo.filter((i) => i.kind === 'sae')).toHaveLength(2);
    expect(fromDemo.some((i) => i.kind === 'dataset')).toBe(true);

    const sources = await call<PromptSources>(core, 'prompt.sources', {});
    expect(sources.demoJobId).toBeNull();
    expect(sources.models.map((m) => m.label)).toEqual(['demo standard', 'demo adhd']);
    expect(sources.defaultPair).toEqual([sources.models[0].path, sources.models[1].path]);
    expect(sources.saes.map((s) => [s.modelPath, s.layer])).toEqual([
      [sources.models[0].path, 2],
      [sources.models[1].path, 2],
    ]);

    const result = await call<PromptRunResult>(core, 'prompt.run', {
      text: 'Step 1: Boil the water.',
      sides: sources.saes.map((s) => ({ modelPath: s.modelPath!, saePath: s.path })),
      topFeatures: 2,
      device: 'cpu',
    });
    expect(result.sides.map((s) => s.executionProvider)).toEqual(['cpu', 'cpu']);
    expect(result.sides[1].tokens.map((t) => t.text.trim())).toEqual(['<|endoftext|>', 'Step', '1', ':', 'Boil', 'the', 'water', '.']);
    expect(result.sides[1].tokens[1].features[0].label).toBe('planted step-onset direction');
    expect(result.sides[0].tokens[1].features[0].label).toBe('token "Step"');
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
