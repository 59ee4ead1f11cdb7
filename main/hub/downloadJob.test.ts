/**
 * The hub.download job end to end: a real core, real worker processes, the mock hub on
 * 127.0.0.1 (HF_ENDPOINT) and a temporary HF cache (HF_HUB_CACHE).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubDownloadProgressOf, type HubDownloadProgress, type HubDownloadResult, type HubFileList, type HubSettings, type JobView } from '../../preload/api';
import { createCore, type Core } from '../api/core';
import { makeTempDir } from '../testing/tempDirs';
import { RepoCache } from './repoCache';
import { writeFixtureRepo } from './testing/fixtureRepo';
import { MockHubServer } from './testing/mockHubServer';
import { call, waitForJob as waitFor } from '../testing/coreCalls';
import { isProcessAlive } from '../lock';

const BIG = 'model.safetensors';
let hub: MockHubServer;
let fixture: string;
let repo: ReturnType<MockHubServer['addRepo']>;
let cacheDir: string;
const cleanups: (() => void | Promise<void>)[] = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  hub = await MockHubServer.start();
  fixture = makeTempDir('hub-fixture').dir;
  writeFixtureRepo(fixture, { seed: 11, bigFileBytes: 1_500_000, blocks: 3 });
  repo = hub.addRepo({ repoId: 'acme/tiny-saes', folder: fixture });
  hub.addRepo({ repoId: 'acme/gated', folder: fixture, requiredToken: 'hf_letmein' });
});
afterAll(async () => {
  await hub.close();
  fs.rmSync(fixture, { recursive: true, force: true });
  process.env = savedEnv;
});
beforeEach(() => {
  const cache = makeTempDir('hf-cache');
  cleanups.push(cache.cleanup);
  cacheDir = cache.dir;
  // Workers are forked with the core's environment, so they see the same endpoint and cache.
  Object.assign(process.env, { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cacheDir, SAE_WORKBENCH_HUB_RETRY_MS: '20' });
  delete process.env.HF_HUB_OFFLINE;
  delete process.env.HF_TOKEN;
  hub.clearFaults();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
}, 90_000);

function startCore(existingHome?: string): Core {
  const home = existingHome ? { dir: existingHome, cleanup: () => {} } : makeTempDir('home');
  const core = createCore({ home: home.dir, frontDoor: 'test' });
  cleanups.push(home.cleanup, async () => {
    // Downloads queue a library rescan; let every worker finish before the core goes away
    // (stopping a worker that is already exiting races its IPC channel: EPIPE).
    const settled = async () => {
      const res = await core.call('jobs.list', {});
      return !res.ok || (res.result as JobView[]).every((j) => !['queued', 'running', 'pausing', 'cancelling'].includes(j.state));
    };
    await waitUntilAsync(settled, 'all jobs settled', 60_000);
    await new Promise((r) => setTimeout(r, 200));
    await core.close();
  });
  return core;
}

const finished = (j: JobView) => ['completed', 'failed', 'cancelled'].includes(j.state);

/** Wait until the job finished and its worker process exited (closing the core earlier races the worker's exit). */
async function waitDone(core: Core, id: string): Promise<JobView> {
  const job = await waitFor(core, id, finished);
  const logs = await call<{ message: string }[]>(core, 'jobs.logs', { id });
  const pid = Number(logs.map((l) => /worker pid (\d+)/.exec(l.message)).filter(Boolean).pop()?.[1] ?? 0);
  await waitUntil(() => !pid || !isProcessAlive(pid), `worker ${pid} exited`);
  // The exit is reaped before Node delivers the child's 'exit' event to the scheduler.
  await new Promise((r) => setTimeout(r, 150));
  return job;
}

const cache = () => new RepoCache(cacheDir, 'acme/tiny-saes', 'model');
const fixtureBytes = (p: string) => fs.readFileSync(path.join(fixture, ...p.split('/')));
const bigEtag = () => repo.files.find((f) => f.path === BIG)!.sha256;

async function waitUntilAsync(cond: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitUntil(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('hub.download job', () => {
  it('downloads a repo in parallel into the HF cache layout, with per-file progress', async () => {
    const core = startCore();
    const progress: HubDownloadProgress[] = [];
    const changed: unknown[] = [];
    core.subscribe((event, payload) => {
      if (event === 'hub.cacheChanged') changed.push(payload);
      const p = event === 'job.updated' ? hubDownloadProgressOf(payload as JobView) : null;
      if (p) progress.push(p);
    });
    for (const p of repo.files.filter((f) => f.path.endsWith('.safetensors')).map((f) => f.path)) hub.slowStream(p, p === BIG ? 3_000_000 : 40_000);
    hub.maxActiveBodies = 0;
    const job = await call<JobView>(core, 'hub.download', { repo: `${hub.url}/acme/tiny-saes/tree/main`, parallelFiles: 3 });
    expect(job.title).toBe('Download acme/tiny-saes');
    const final = await waitDone(core, job.id);
    expect(final.error).toBeNull();
    expect(final.state).toBe('completed');
    expect(hub.maxActiveBodies).toBe(3);

    const result = final.result as HubDownloadResult;
    expect(result.commitSha).toBe(repo.commit);
    expect(result.downloadedBytes).toBe(repo.files.reduce((s, f) => s + f.size, 0));
    // Read the layout back as Python's huggingface_hub would.
    const root = path.join(cacheDir, 'models--acme--tiny-saes');
    expect(fs.readFileSync(path.join(root, 'refs', 'main'), 'utf8')).toBe(repo.commit);
    for (const f of repo.files) {
      const pointer = path.join(root, 'snapshots', repo.commit, ...f.path.split('/'));
      const etag = f.lfs ? f.sha256 : f.gitOid;
      expect(fs.readlinkSync(pointer)).toBe(path.posix.join(...Array(f.path.split('/').length).fill('..'), '..', 'blobs', etag));
      expect(fs.readFileSync(pointer)).toEqual(fixtureBytes(f.path));
    }
    expect(fs.readdirSync(path.join(root, 'blobs')).sort()).toEqual([...new Set(repo.files.map((f) => (f.lfs ? f.sha256 : f.gitOid)))].sort());
    expect(changed).toEqual([{ repoId: 'acme/tiny-saes', repoType: 'model', commitSha: repo.commit }]);

    // Per-file state while running; the rate is asserted over the whole run, since any single
    // sample may fall in a rate window that is still empty on a loaded machine.
    const mid = progress.find((p) => p.files.some((f) => f.state === 'downloading' && f.bytes > 0));
    expect(mid).toBeDefined();
    expect(progress.some((p) => p.bytesPerSecond > 0)).toBe(true);
    expect(mid!.total).toBe(result.downloadedBytes);
    expect(mid!.filesTotal).toBe(repo.files.length);
    const listed = await call<HubFileList>(core, 'hub.listFiles', { repo: 'acme/tiny-saes' });
    expect(listed.missingBytes).toBe(0);
    expect(listed.files.every((f) => f.cached)).toBe(true);
  }, 90_000);

  it('resumes from the partial file with HTTP Range after the worker is killed mid-download', async () => {
    const core = startCore();
    hub.slowStream(BIG, 400_000);
    const before = hub.resolveRequests(BIG).length;
    const job = await call<JobView>(core, 'hub.download', { repo: 'acme/tiny-saes', include: [BIG] });
    const servedBefore = hub.bytesServed(BIG);
    await waitUntil(() => hub.bytesServed(BIG) - servedBefore > 300_000, 'part of the file was served');
    const logs = await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id });
    const pid = Number(logs.map((l) => /worker pid (\d+)/.exec(l.message)).filter(Boolean).pop()![1]);
    process.kill(pid, 'SIGKILL');
    hub.clearFaults();
    const final = await waitDone(core, job.id);
    expect(final.state).toBe('completed');
    expect(final.attempts).toBe(2);
    const gets = hub.resolveRequests(BIG).slice(before);
    const resumedAt = gets.map((g) => Number(/^bytes=(\d+)-$/.exec(g.range ?? '')?.[1] ?? 0)).filter((n) => n > 0);
    expect(resumedAt.length).toBe(1);
    expect(resumedAt[0]).toBeGreaterThan(100_000);
    expect(fs.readFileSync(cache().snapshotPath(repo.commit, BIG))).toEqual(fixtureBytes(BIG));
    const allLogs = (await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id })).map((l) => l.message).join('\n');
    expect(allLogs).toMatch(new RegExp(`continued from byte ${resumedAt[0]} of 1500000 \\(HTTP Range\\)`));
  }, 90_000);

  it('continues after an app restart from where the partial file stopped', async () => {
    const core = startCore();
    hub.slowStream(BIG, 400_000);
    const job = await call<JobView>(core, 'hub.download', { repo: 'acme/tiny-saes', files: [BIG] });
    await waitFor(core, job.id, (j) => (hubDownloadProgressOf(j)?.bytes ?? 0) > 200_000);
    await core.close();
    const partial = fs.statSync(cache().incompletePath(bigEtag())).size;
    expect(partial).toBeGreaterThan(200_000);
    hub.clearFaults();
    const before = hub.resolveRequests(BIG).length;
    const reopened = startCore(core.home);
    const final = await waitDone(reopened, job.id);
    expect(final.state).toBe('completed');
    expect(hub.resolveRequests(BIG).slice(before).map((r) => r.range)).toEqual([`bytes=${partial}-`]);
    expect(fs.readFileSync(cache().snapshotPath(repo.commit, BIG))).toEqual(fixtureBytes(BIG));
  }, 90_000);

  it('pause keeps the partial file and resume continues it; cancel removes or keeps partials as chosen', async () => {
    const core = startCore();
    hub.slowStream(BIG, 400_000);
    const job = await call<JobView>(core, 'hub.download', { repo: 'acme/tiny-saes', files: [BIG] });
    await waitFor(core, job.id, (j) => (hubDownloadProgressOf(j)?.bytes ?? 0) > 100_000);
    await call(core, 'jobs.pause', { id: job.id });
    await waitFor(core, job.id, (j) => j.state === 'paused');
    const partial = fs.statSync(cache().incompletePath(bigEtag())).size;
    expect(partial).toBeGreaterThan(100_000);
    hub.clearFaults();
    const before = hub.resolveRequests(BIG).length;
    await call(core, 'jobs.resume', { id: job.id });
    expect((await waitDone(core, job.id)).state).toBe('completed');
    expect(hub.resolveRequests(BIG).slice(before).map((r) => r.range)).toEqual([`bytes=${partial}-`]);

    // Cancel while running, partials not kept: the worker deletes them.
    fs.rmSync(path.join(cacheDir, 'models--acme--tiny-saes'), { recursive: true });
    hub.slowStream(BIG, 400_000);
    const j2 = await call<JobView>(core, 'hub.download', { repo: 'acme/tiny-saes', files: [BIG] });
    await waitFor(core, j2.id, (j) => (hubDownloadProgressOf(j)?.bytes ?? 0) > 50_000);
    await call(core, 'jobs.cancel', { id: j2.id });
    expect((await waitDone(core, j2.id)).state).toBe('cancelled');
    expect(fs.existsSync(cache().incompletePath(bigEtag()))).toBe(false);

    // Cancel with keepPartialOnCancel: the partial stays for a later download.
    const j3 = await call<JobView>(core, 'hub.download', { repo: 'acme/tiny-saes', files: [BIG], keepPartialOnCancel: true });
    await waitFor(core, j3.id, (j) => (hubDownloadProgressOf(j)?.bytes ?? 0) > 50_000);
    await call(core, 'jobs.cancel', { id: j3.id });
    await waitDone(core, j3.id);
    expect(fs.statSync(cache().incompletePath(bigEtag())).size).toBeGreaterThan(50_000);

    // Cancel while paused (no worker runs): the core removes the partial.
    const j4 = await call<JobView>(core, 'hub.download', { repo: 'acme/tiny-saes', files: [BIG] });
    await waitFor(core, j4.id, (j) => (hubDownloadProgressOf(j)?.bytes ?? 0) > 300_000);
    await call(core, 'jobs.pause', { id: j4.id });
    await waitFor(core, j4.id, (j) => j.state === 'paused');
    expect(fs.existsSync(cache().incompletePath(bigEtag()))).toBe(true);
    await call(core, 'jobs.cancel', { id: j4.id });
    await waitUntil(() => !fs.existsSync(cache().incompletePath(bigEtag())), 'the core removed the partial file');
  }, 120_000);

  it('fails naming the file whose checksum does not match, and links the others', async () => {
    const core = startCore();
    const bad = 'blocks.1.hook_resid_post/sae_weights.safetensors';
    hub.corruptContent(bad);
    const job = await call<JobView>(core, 'hub.download', { repo: 'acme/tiny-saes', include: ['blocks.1.hook_resid_post/'] });
    const final = await waitDone(core, job.id);
    expect(final.state).toBe('failed');
    expect(final.error).toMatchObject({ code: 'HUB_CHECKSUM_MISMATCH', message: expect.stringContaining(bad) });
    expect(fs.existsSync(cache().snapshotPath(repo.commit, bad))).toBe(false);
    expect(fs.existsSync(cache().snapshotPath(repo.commit, 'blocks.1.hook_resid_post/cfg.json'))).toBe(true);
    // A retry (fault gone) fetches only what the cache lacks: the bad file, and one deleted meanwhile.
    hub.clearFaults();
    const deleted = 'blocks.1.hook_resid_post/notes.txt';
    fs.rmSync(cache().blobPath(repo.files.find((f) => f.path === deleted)!.gitOid));
    const before = hub.requests.filter((r) => r.url.includes('/resolve/')).length;
    await call(core, 'jobs.retry', { id: job.id });
    expect((await waitDone(core, job.id)).state).toBe('completed');
    expect(hub.requests.filter((r) => r.url.includes('/resolve/')).length - before).toBe(2);
    expect(fs.readFileSync(cache().snapshotPath(repo.commit, deleted))).toEqual(fixtureBytes(deleted));
  }, 60_000);

  it('offline (Settings switch): cached files are usable with no connection, uncached ones are named', async () => {
    const core = startCore();
    const first = await call<JobView>(core, 'hub.download', { repo: 'acme/tiny-saes', include: ['*.json'] });
    expect((await waitDone(core, first.id)).state).toBe('completed');
    const settings = await call<HubSettings>(core, 'hub.settings', { offline: true });
    expect(settings).toMatchObject({ offline: true, offlineSource: 'settings', endpoint: hub.url, endpointSource: 'env', cacheDir });
    const requests = hub.requests.length;
    const listed = await call<HubFileList>(core, 'hub.listFiles', { repo: 'acme/tiny-saes' });
    expect(listed).toMatchObject({ fromCache: true, commitSha: repo.commit, missingBytes: 0 });
    expect(listed.files.map((f) => f.path)).toEqual(repo.files.filter((f) => f.path.endsWith('.json')).map((f) => f.path));
    const again = await call<JobView>(core, 'hub.download', { repo: 'acme/tiny-saes', include: ['*.json'] });
    const ok = await waitDone(core, again.id);
    expect(ok.state).toBe('completed');
    expect((ok.result as HubDownloadResult).downloadedBytes).toBe(0);
    const missing = await call<JobView>(core, 'hub.download', { repo: 'acme/tiny-saes', files: ['config.json', BIG] });
    const failed = await waitDone(core, missing.id);
    expect(failed.error).toMatchObject({ code: 'HUB_OFFLINE_NOT_CACHED', message: expect.stringContaining(`"${BIG}"`) });
    await expect(call(core, 'hub.resolve', { repo: 'acme/tiny-saes', revision: 'v2' })).rejects.toMatchObject({ code: 'HUB_OFFLINE_NOT_CACHED' });
    expect(hub.requests.length).toBe(requests);
  }, 60_000);

  it('gated repos need the token; bad input is refused with the value named', async () => {
    const core = startCore();
    await expect(call(core, 'hub.resolve', { repo: 'acme/gated' })).rejects.toMatchObject({ code: 'HUB_GATED' });
    const job = await call<JobView>(core, 'hub.download', { repo: 'acme/gated', include: ['README.md'] });
    expect((await waitDone(core, job.id)).error).toMatchObject({ code: 'HUB_GATED' });
    const settings = await call<HubSettings>(core, 'hub.setToken', { token: 'hf_letmein' });
    expect(settings.tokenSource).toBe('stored');
    expect(JSON.stringify(settings)).not.toContain('hf_letmein');
    await call(core, 'jobs.retry', { id: job.id });
    const retried = await waitDone(core, job.id);
    expect(retried.error).toBeNull();
    const logs = await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id });
    expect(JSON.stringify(logs)).not.toContain('hf_letmein');

    await expect(call(core, 'hub.download', { repo: 'acme/../etc' })).rejects.toMatchObject({ code: 'HUB_BAD_REPO_ID', message: expect.stringContaining('acme/../etc') });
    await expect(call(core, 'hub.resolve', { repo: 'acme/missing' })).rejects.toMatchObject({ code: 'HUB_REPO_NOT_FOUND' });
    await expect(call(core, 'hub.resolve', { repo: 'acme/tiny-saes', revision: 'nope' })).rejects.toMatchObject({ code: 'HUB_REVISION_NOT_FOUND' });
    const none = await call<JobView>(core, 'hub.download', { repo: 'acme/tiny-saes', include: ['*.gguf'] });
    expect((await waitDone(core, none.id)).error).toMatchObject({ code: 'HUB_NOTHING_MATCHED' });
  }, 60_000);
});
