import { describe, expect, it } from 'vitest';
import { contract } from '../../preload/api';
import { engineHandlers } from './engineHandlers';
import type { CoreServices } from './services';

describe('engine.devices', () => {
  it('reports CPU for a cpu choice and lists failed GPU EPs with reasons for auto', async () => {
    const services = {} as CoreServices;
    const cpu = await engineHandlers['engine.devices'](contract['engine.devices'].params.parse({ device: 'cpu' }), services);
    expect(cpu).toEqual({ requested: 'cpu', running: 'cpu', attempts: [{ ep: 'cpu', ok: true }] });
    const auto = await engineHandlers['engine.devices'](contract['engine.devices'].params.parse({}), services);
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
