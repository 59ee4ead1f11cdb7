import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LibraryArtifact, LibraryItem, LibraryListing, JobView } from '../../preload/api';
import { makeTempDir } from '../testing/tempDirs';
import { seedArtifacts, seedModelRepoFiles, seedSaeRepoFiles, SEED_MODEL_REPOS, SEED_SAE_REPO, writeHfCacheRepo, writeTree } from '../library/testing/seedRepoFixture';
import { createCore, type Core } from './core';
import { MAX_ARTIFACT_DEPTH } from './libraryHandlers';
import { call } from '../testing/coreCalls';

const cleanups: (() => void | Promise<void>)[] = [];
const savedCache = process.env.HF_HUB_CACHE;
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  if (savedCache === undefined) delete process.env.HF_HUB_CACHE;
  else process.env.HF_HUB_CACHE = savedCache;
});

function temp(label: string): string {
  const t = makeTempDir(label);
  cleanups.push(t.cleanup);
  return t.dir;
}

function startCore(): Core {
  const core = createCore({ home: temp('home'), frontDoor: 'test' });
  cleanups.push(() => core.close());
  return core;
}

function nextEvent<T>(core: Core, name: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} event within ${timeoutMs} ms`)), timeoutMs);
    const off = core.subscribe((event, payload) => {
      if (event === name) {
        clearTimeout(timer);
        off();
        resolve(payload as T);
      }
    });
  });
}

describe('library API', () => {
  it('scans the HF cache in a worker, announces library.changed, and serves the catalog', async () => {
    const cache = temp('hfcache');
    writeHfCacheRepo(cache, { repoType: 'model', repoId: SEED_SAE_REPO, files: seedSaeRepoFiles() });
    writeHfCacheRepo(cache, { repoType: 'model', repoId: SEED_MODEL_REPOS.adhd, files: seedModelRepoFiles() });
    process.env.HF_HUB_CACHE = cache;
    const core = startCore();
    expect(await call<LibraryListing>(core, 'library.list', {})).toMatchObject({ items: [], roots: [], scannedAt: null });

    const changed = nextEvent<{ reason: string; itemCount: number }>(core, 'library.changed');
    const job = await call<JobView>(core, 'library.scan', {});
    expect(job.kind).toBe('library.scan');
    // A second request while the first is pending reuses it.
    expect((await call<JobView>(core, 'library.scan', {})).id).toBe(job.id);
    expect(await changed).toEqual({ reason: 'scan', itemCount: 12 });

    const listing = await call<LibraryListing>(core, 'library.list', {});
    expect(listing.hubCacheDir).toBe(cache);
    const adhd = listing.items.filter((i) => i.kind === 'sae' && i.sae!.variant === 'adhd');
    expect(adhd).toHaveLength(3);
    expect(new Set(adhd.map((i) => i.sae!.groupModel))).toEqual(new Set([SEED_MODEL_REPOS.adhd]));

    const result = listing.items.find((i) => i.name === 'causal_nulls_per_seed.json')!;
    const artifact = await call<LibraryArtifact>(core, 'library.readArtifact', { id: result.id });
    expect(artifact.content).toEqual(seedArtifacts(5)['causal_nulls_per_seed.json']);
    const sae = listing.items.find((i) => i.kind === 'sae')!;
    await expect(call(core, 'library.readArtifact', { id: sae.id })).rejects.toMatchObject({ code: 'NOT_AN_ARTIFACT' });
    await expect(call(core, 'library.readArtifact', { id: '0000000000000000' })).rejects.toMatchObject({ code: 'ITEM_NOT_FOUND' });
  });

  it('adds and removes a local folder directly, with events', async () => {
    process.env.HF_HUB_CACHE = temp('emptycache');
    const core = startCore();
    const local = temp('local');
    writeTree(local, seedSaeRepoFiles());
    fs.writeFileSync(path.join(local, 'standard_L0_hook_resid_post', 'cfg.json'), '{ not json');

    const added = nextEvent<{ reason: string; itemCount: number }>(core, 'library.changed');
    const res = await call<{ root: { path: string }; items: LibraryItem[] }>(core, 'library.addFolder', { path: local });
    expect(await added).toEqual({ reason: 'added', itemCount: 11 });
    expect(res.root.path).toBe(local);
    const broken = res.items.find((i) => i.name === 'standard_L0_hook_resid_post')!;
    // A damaged cfg keeps the SAE listed, with what the folder name and weights tell and the problem.
    expect(broken.sae).toMatchObject({ layer: 0, variant: 'standard', dIn: 16, dSae: 64, architecture: null });
    expect(broken.problems.join(' ')).toContain('cfg.json');

    await expect(call(core, 'library.addFolder', { path: path.join(local, 'missing') })).rejects.toMatchObject({ code: 'PATH_NOT_FOUND' });
    const removed = nextEvent<{ reason: string; itemCount: number }>(core, 'library.changed');
    await call(core, 'library.removeFolder', { path: local });
    expect(await removed).toEqual({ reason: 'removed', itemCount: 0 });
    await expect(call(core, 'library.removeFolder', { path: local })).rejects.toMatchObject({ code: 'ROOT_NOT_FOUND' });
  });
});

describe('library.readArtifact on deeply nested JSON', () => {
  it('refuses it with ARTIFACT_TOO_DEEP naming the file and the limit (it was INTERNAL: a RangeError sending it)', async () => {
    process.env.HF_HUB_CACHE = temp('emptycache');
    const core = startCore();
    const local = temp('deep');
    const nested = (n: number) => `${'{"a":'.repeat(n)}[1, "]]]{{{\\"", 2]${'}'.repeat(n)}`;
    fs.writeFileSync(path.join(local, 'deep.json'), nested(100_000));
    fs.writeFileSync(path.join(local, 'fine.json'), nested(MAX_ARTIFACT_DEPTH - 1));
    const { items } = await call<{ items: LibraryItem[] }>(core, 'library.addFolder', { path: local });
    const id = (name: string) => items.find((i) => i.name === name)!.id;
    const err = await call(core, 'library.readArtifact', { id: id('deep.json') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ARTIFACT_TOO_DEEP', message: `${path.join(local, 'deep.json')} nests arrays and objects more than 256 levels deep, more than the viewer reads.` });
    // At the limit it is read, and survives the transport's JSON.stringify.
    const fine = await call<LibraryArtifact>(core, 'library.readArtifact', { id: id('fine.json') });
    expect(JSON.stringify(fine.content).length).toBe(nested(MAX_ARTIFACT_DEPTH - 1).replace(/, /g, ',').length);
  });
});

describe('library + hub', () => {
  it('files downloaded by hub.download from the mock Hub are read back by the Library', async () => {
    const { MockHubServer } = await import('../hub/testing/mockHubServer');
    const hub = await MockHubServer.start();
    cleanups.push(() => hub.close());
    const folder = temp('repo');
    writeTree(folder, seedSaeRepoFiles());
    const { commit } = hub.addRepo({ repoId: SEED_SAE_REPO, folder });
    const savedEndpoint = process.env.HF_ENDPOINT;
    cleanups.push(() => {
      if (savedEndpoint === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = savedEndpoint;
    });
    process.env.HF_ENDPOINT = hub.url;
    const cache = temp('hfcache');
    process.env.HF_HUB_CACHE = cache;
    const core = startCore();

    const changed = nextEvent<{ reason: string; itemCount: number }>(core, 'library.changed');
    await call<JobView>(core, 'hub.download', { repo: SEED_SAE_REPO, include: ['adhd_L2_hook_resid_post/*', '*.json'] });
    // The six other SAE folders came down with their cfg.json only: listed as SAEs whose weights are missing.
    expect(await changed).toEqual({ reason: 'scan', itemCount: 11 });
    const listing = await call<LibraryListing>(core, 'library.list', {});
    const sae = listing.items.find((i) => i.kind === 'sae' && i.problems.length === 0)!;
    const partial = listing.items.filter((i) => i.kind === 'sae' && i.problems.length > 0);
    expect(partial).toHaveLength(6);
    for (const p of partial) expect(p.problems).toEqual([expect.stringMatching(/^sae_weights\.safetensors is missing: the SAE cannot be loaded/)]);
    expect(sae.name).toBe('adhd_L2_hook_resid_post');
    expect(sae.source).toEqual({ type: 'hub', repoType: 'model', repoId: SEED_SAE_REPO, commit, refs: ['main'], pathInRepo: 'adhd_L2_hook_resid_post' });
    expect(sae.sae).toMatchObject({ layer: 2, variant: 'adhd', dIn: 16, dSae: 64, k: 8 });
    expect(listing.items.filter((i) => i.kind === 'result').map((i) => i.name).sort()).toEqual(['causal_nulls_per_seed.json', 'deepdive_steering.json', 'feature_diff.json', 'three_probes.json']);
    // The snapshot is real HF layout: symlinks into blobs/.
    expect(fs.lstatSync(path.join(sae.path, 'cfg.json')).isSymbolicLink()).toBe(true);
  });
});
