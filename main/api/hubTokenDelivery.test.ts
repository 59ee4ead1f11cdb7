/**
 * Where the Hub token may go: over https, to an http endpoint from HF_ENDPOINT, or to an http
 * endpoint the user saved in Settings together with the confirmation for that exact URL; never to
 * an http endpoint set by an API call alone. The mock Hub (plain http on 127.0.0.1) records
 * whether each request carried an Authorization header.
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HubSettings, JobView } from '../../preload/api';
import { resolveHubConfig, tokenDeliveryFor } from '../hub/hubConfig';
import { writeFixtureRepo } from '../hub/testing/fixtureRepo';
import { MockHubServer } from '../hub/testing/mockHubServer';
import { call, waitForJob } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';
import { createCore, type Core } from './core';

const TOKEN = 'hf_capture_me';
let hub: MockHubServer;
let other: MockHubServer;
let fixture: string;
const cleanups: (() => void | Promise<void>)[] = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  hub = await MockHubServer.start();
  other = await MockHubServer.start();
  fixture = makeTempDir('hub-token-fixture').dir;
  writeFixtureRepo(fixture, { seed: 3, bigFileBytes: 4096, blocks: 1 });
  for (const h of [hub, other]) {
    h.addRepo({ repoId: 'acme/public', folder: fixture });
    h.addRepo({ repoId: 'acme/gated', folder: fixture, requiredToken: TOKEN });
  }
});
afterAll(async () => {
  await hub.close();
  await other.close();
  fs.rmSync(fixture, { recursive: true, force: true });
});
beforeEach(() => {
  for (const k of ['HF_ENDPOINT', 'HF_HUB_OFFLINE', 'HF_TOKEN', 'HF_HOME']) delete process.env[k];
  const cache = makeTempDir('hub-token-cache');
  cleanups.push(cache.cleanup);
  Object.assign(process.env, { HF_HUB_CACHE: cache.dir, SAE_WORKBENCH_HUB_RETRY_MS: '20' });
  hub.requests.length = 0;
  other.requests.length = 0;
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  process.env = { ...savedEnv };
});

async function coreWithToken(): Promise<Core> {
  const home = makeTempDir('hub-token-home');
  const core = createCore({ home: home.dir, frontDoor: 'test' });
  cleanups.push(home.cleanup, () => core.close());
  await call(core, 'hub.setToken', { token: TOKEN });
  return core;
}

describe('the Hub token goes only where the user chose', () => {
  it('an http endpoint set by hub.settings alone gets no token: hub.resolve and downloads go out without Authorization', async () => {
    const core = await coreWithToken();
    const settings = await call<HubSettings>(core, 'hub.settings', { endpoint: hub.url });
    expect(settings).toMatchObject({ endpoint: hub.url, endpointSource: 'settings', tokenSource: 'stored', tokenDelivery: 'withheld' });

    // Public repos still work; the gated one says why the token was not sent.
    await expect(call(core, 'hub.resolve', { repo: 'acme/public' })).resolves.toMatchObject({ commitSha: expect.any(String) });
    await expect(call(core, 'hub.resolve', { repo: 'acme/gated' })).rejects.toMatchObject({ code: 'HUB_GATED', hint: expect.stringContaining('was not sent') });
    await expect(call(core, 'hub.listFiles', { repo: 'acme/public' })).resolves.toMatchObject({ files: expect.any(Array) });
    // The worker path reads the same policy.
    const job = await call<JobView>(core, 'hub.download', { repo: 'acme/public', include: ['README.md'] });
    expect((await waitForJob(core, job.id, (j) => ['completed', 'failed'].includes(j.state))).error).toBeNull();

    expect(hub.requests.length).toBeGreaterThan(3);
    expect(hub.requests.filter((r) => r.authorized)).toEqual([]);
  });

  it('an http endpoint saved with the confirmation for that exact URL gets the token', async () => {
    const core = await coreWithToken();
    expect(await call<HubSettings>(core, 'hub.settings', { endpoint: `${hub.url}/`, tokenEndpointConfirmed: hub.url })).toMatchObject({ endpoint: hub.url, tokenDelivery: 'confirmed' });
    await expect(call(core, 'hub.resolve', { repo: 'acme/gated' })).resolves.toMatchObject({ commitSha: expect.any(String) });
    expect(hub.requests.length).toBeGreaterThan(0);
    expect(hub.requests.every((r) => r.authorized)).toBe(true);
    // Other settings leave the confirmation alone; so does saving the same endpoint again.
    expect(await call<HubSettings>(core, 'hub.settings', { offline: false, parallelFiles: 2, endpoint: hub.url })).toMatchObject({ tokenDelivery: 'confirmed' });
  });

  it('changing the endpoint by an API call withdraws the confirmation, also when it comes back', async () => {
    const core = await coreWithToken();
    await call(core, 'hub.settings', { endpoint: hub.url, tokenEndpointConfirmed: hub.url });
    expect(await call<HubSettings>(core, 'hub.settings', { endpoint: other.url })).toMatchObject({ endpoint: other.url, tokenDelivery: 'withheld' });
    await expect(call(core, 'hub.resolve', { repo: 'acme/gated' })).rejects.toMatchObject({ code: 'HUB_GATED' });
    expect(other.requests.filter((r) => r.authorized)).toEqual([]);
    expect(await call<HubSettings>(core, 'hub.settings', { endpoint: hub.url })).toMatchObject({ tokenDelivery: 'withheld' });
    await expect(call(core, 'hub.resolve', { repo: 'acme/gated' })).rejects.toMatchObject({ code: 'HUB_GATED' });
    expect(hub.requests.filter((r) => r.authorized)).toEqual([]);
    // Withdrawn explicitly, and reset to the default: nothing confirmed remains.
    await call(core, 'hub.settings', { tokenEndpointConfirmed: hub.url });
    expect(await call<HubSettings>(core, 'hub.settings', { tokenEndpointConfirmed: null })).toMatchObject({ tokenDelivery: 'withheld' });
    expect(await call<HubSettings>(core, 'hub.settings', { endpoint: null })).toMatchObject({ endpoint: 'https://huggingface.co', tokenDelivery: 'https' });
  });

  it('a confirmation must name the endpoint being saved', async () => {
    const core = await coreWithToken();
    await expect(call(core, 'hub.settings', { endpoint: other.url, tokenEndpointConfirmed: hub.url })).rejects.toMatchObject({ code: 'HUB_CONFIRMATION_MISMATCH', message: expect.stringContaining(hub.url) });
    // Nothing of the refused request was stored.
    expect(await call<HubSettings>(core, 'hub.settings', {})).toMatchObject({ endpointSource: 'default', tokenDelivery: 'https' });
    await expect(call(core, 'hub.settings', { tokenEndpointConfirmed: hub.url })).rejects.toMatchObject({ code: 'HUB_CONFIRMATION_MISMATCH' });
  });

  it('HF_ENDPOINT from the environment is the user\'s own choice: its http endpoint gets the token', async () => {
    process.env.HF_ENDPOINT = hub.url;
    const core = await coreWithToken();
    expect(await call<HubSettings>(core, 'hub.settings', {})).toMatchObject({ endpointSource: 'env', tokenDelivery: 'env' });
    await expect(call(core, 'hub.resolve', { repo: 'acme/gated' })).resolves.toMatchObject({ commitSha: expect.any(String) });
    expect(hub.requests.every((r) => r.authorized)).toBe(true);
  });

  it('https endpoints always get the token (encrypted); http ones only from env or with the confirmation', () => {
    expect(tokenDeliveryFor('https://huggingface.co', 'default', null)).toBe('https');
    expect(tokenDeliveryFor('https://hf-mirror.example', 'settings', null)).toBe('https');
    expect(tokenDeliveryFor('http://127.0.0.1:8080', 'settings', null)).toBe('withheld');
    expect(tokenDeliveryFor('http://127.0.0.1:8080', 'settings', 'http://127.0.0.1:8081')).toBe('withheld');
    expect(tokenDeliveryFor('http://127.0.0.1:8080', 'settings', 'http://127.0.0.1:8080')).toBe('confirmed');
    expect(tokenDeliveryFor('http://mirror.lan', 'env', null)).toBe('env');
    expect(resolveHubConfig({ endpoint: 'https://hf-mirror.example/', offline: false, parallelFiles: null, tokenEndpointConfirmed: null }, {}).tokenDelivery).toBe('https');
  });
});
