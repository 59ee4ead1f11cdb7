import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HubSettings } from '../../preload/api';
import { makeTempDir } from '../testing/tempDirs';
import { createCore, type Core } from './core';
import { call } from '../testing/coreCalls';

const cleanups: (() => void | Promise<void>)[] = [];
const savedEnv = { ...process.env };
let cacheDir: string;

beforeEach(() => {
  const c = makeTempDir('hub-settings-cache');
  cleanups.push(c.cleanup);
  cacheDir = c.dir;
  for (const k of ['HF_ENDPOINT', 'HF_HUB_OFFLINE', 'HF_TOKEN', 'HF_HOME']) delete process.env[k];
  process.env.HF_HUB_CACHE = cacheDir;
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  process.env = { ...savedEnv };
});

function startCore(existingHome?: string): Core {
  const home = existingHome ? { dir: existingHome, cleanup: () => {} } : makeTempDir('hub-settings-home');
  const core = createCore({ home: home.dir, frontDoor: 'test' });
  cleanups.push(home.cleanup, () => core.close());
  return core;
}

describe('hub.settings and hub.setToken', () => {
  it('stores endpoint, offline and parallelism; env vars win; null resets the endpoint', async () => {
    const core = startCore();
    expect(await call<HubSettings>(core, 'hub.settings', {})).toEqual({
      endpoint: 'https://huggingface.co',
      endpointSource: 'default',
      offline: false,
      offlineSource: 'default',
      parallelFiles: 4,
      cacheDir,
      tokenSource: null,
      tokenDelivery: 'https',
    });
    expect(await call<HubSettings>(core, 'hub.settings', { endpoint: 'https://hf-mirror.example/', offline: true, parallelFiles: 2 })).toMatchObject({
      endpoint: 'https://hf-mirror.example',
      endpointSource: 'settings',
      offline: true,
      offlineSource: 'settings',
      parallelFiles: 2,
    });
    process.env.HF_ENDPOINT = 'http://127.0.0.1:1';
    expect(await call<HubSettings>(core, 'hub.settings', {})).toMatchObject({ endpoint: 'http://127.0.0.1:1', endpointSource: 'env' });
    delete process.env.HF_ENDPOINT;
    expect(await call<HubSettings>(core, 'hub.settings', { endpoint: null, offline: false })).toMatchObject({ endpoint: 'https://huggingface.co', endpointSource: 'default', offline: false });
    await expect(call(core, 'hub.settings', { endpoint: 'not a url' })).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    await expect(call(core, 'hub.settings', { parallelFiles: 0 })).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
  });

  it('listing files of an unreachable Hub suggests the offline switch, not a download that never started', async () => {
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
    const core = startCore();
    const listed = await core.call('hub.listFiles', { repo: 'org/repo' });
    expect(listed).toMatchObject({ ok: false, error: { code: 'HUB_UNREACHABLE', hint: expect.stringContaining('Turn on offline mode in Settings (or set HF_HUB_OFFLINE=1)') } });
    expect((listed as { error: { hint: string } }).error.hint).not.toMatch(/resumes/);
  });

  it('keeps the token in a 0600 file in the data directory, never in the database or the answer', async () => {
    const core = startCore();
    const s = await call<HubSettings>(core, 'hub.setToken', { token: 'hf_topsecret' });
    expect(s.tokenSource).toBe('stored');
    expect(JSON.stringify(s)).not.toContain('hf_topsecret');
    const file = path.join(core.home, 'secrets', 'hf_token');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    await core.close();
    for (const name of fs.readdirSync(core.home).filter((n) => n.startsWith('workbench.sqlite'))) {
      expect(fs.readFileSync(path.join(core.home, name)).includes('hf_topsecret')).toBe(false);
    }
    const again = startCore(core.home);
    expect((await call<HubSettings>(again, 'hub.settings', {})).tokenSource).toBe('stored');
    process.env.HF_TOKEN = 'hf_env';
    expect((await call<HubSettings>(again, 'hub.settings', {})).tokenSource).toBe('env');
    delete process.env.HF_TOKEN;
    expect((await call<HubSettings>(again, 'hub.setToken', { token: null })).tokenSource).toBeNull();
    expect(fs.existsSync(file)).toBe(false);
  });
});
