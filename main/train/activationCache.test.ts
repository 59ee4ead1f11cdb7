import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/tempDirs';
import { ActivationCache, type CacheIdentity } from './activationCache';

const tmp = makeTempDir('activation-cache');
afterAll(tmp.cleanup);

const identity: CacheIdentity = {
  model: '/models/m',
  modelName: 'm',
  hooks: ['blocks.0.hook_resid_post'],
  dataset: '/data/d.jsonl',
  textColumn: null,
  contextSize: 128,
  prependBos: true,
  blockRows: 4096,
  trainStart: { document: 3, window: 0, row: 0, epoch: 0 },
  device: 'cpu',
};

describe('activation cache', () => {
  it('keeps activations of each device apart: a run on one execution provider never reads another\'s', () => {
    const cpu = new ActivationCache(tmp.dir, identity);
    expect(new ActivationCache(tmp.dir, { ...identity }).dir).toBe(cpu.dir);
    expect(new ActivationCache(tmp.dir, { ...identity, device: 'cuda' }).dir).not.toBe(cpu.dir);
  });
});
