import { afterAll, describe, expect, it } from 'vitest';
import { contract, type EngineDeviceReport } from '../../preload/api';
import { call } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';
import { createCore } from './core';

const home = makeTempDir('engine-devices');
const core = createCore({ home: home.dir, frontDoor: 'test' });
afterAll(async () => {
  await core.close();
  home.cleanup();
});

describe('engine.devices', () => {
  it('reports CPU for a cpu choice and lists failed GPU EPs with reasons for auto (probed in the interactive worker)', async () => {
    const cpu = await call<EngineDeviceReport>(core, 'engine.devices', { device: 'cpu' });
    expect(cpu).toEqual({ requested: 'cpu', running: 'cpu', attempts: [{ ep: 'cpu', ok: true }] });
    const auto = await call<EngineDeviceReport>(core, 'engine.devices', {});
    expect(auto.requested).toBe('auto');
    expect(auto.attempts.map((a) => a.ep)).toEqual(['cuda', 'webgpu', 'cpu'].slice(0, auto.attempts.length));
    for (const failed of auto.attempts.filter((a) => !a.ok)) {
      expect(failed.reason).toMatch(/\S/);
      expect(failed.requirement).toMatch(/needs/);
    }
  });

  it('rejects an unknown device', () => {
    expect(contract['engine.devices'].params.safeParse({ device: 'tpu' }).success).toBe(false);
  });
});
