import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadBlob, openFileWriter, type OpenBlobWriter } from './blobDownloader';
import { etagOf, type RemoteFile } from './hubClient';
import { listRepoFiles, openHubSession, repoCacheOf, resolveCommit, type HubSession } from './repoFiles';
import { API_FAULTS, gitBlobSha1, MockHubServer } from './testing/mockHubServer';
import { writeFixtureRepo } from './testing/fixtureRepo';

let hub: MockHubServer;
let fixture: string;
let repo: ReturnType<MockHubServer['addRepo']>;
const dirs: string[] = [];
const temp = (prefix: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  hub = await MockHubServer.start();
  fixture = temp('hub-fixture-');
  writeFixtureRepo(fixture, { seed: 3, bigFileBytes: 300_000, blocks: 3 });
  repo = hub.addRepo({ repoId: 'owner/sae-repo', folder: fixture, refs: ['main', 'v1'] });
  hub.addRepo({ repoId: 'owner/gated', folder: fixture, requiredToken: 'hf_good' });
  hub.addRepo({ repoId: 'owner/evil', folder: fixture, extraTreeEntries: [{ type: 'file', oid: 'c'.repeat(40), size: 3, path: '../../escape.txt' }] });
  hub.addRepo({ repoId: 'ds/corpus', repoType: 'dataset', folder: fixture });
  hub.pageSize = 4;
});
afterAll(async () => {
  await hub.close();
  dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});
afterEach(() => hub.clearFaults());

// The mock Hub speaks plain http on loopback: these sessions are as if the user had saved it in
// Settings and confirmed sending the token there (hubTokenDelivery.test.ts tests the policy itself).
function session(options: { offline?: boolean; token?: string | null; cacheDir?: string } = {}): HubSession {
  return openHubSession({ endpoint: hub.url, offline: options.offline ?? false, parallelFiles: 2, cacheDir: options.cacheDir ?? temp('hub-cache-'), tokenDelivery: 'confirmed' }, options.token ?? null, 5);
}

const target = { repoId: 'owner/sae-repo', repoType: 'model' as const };

async function fetchFile(s: HubSession, file: RemoteFile, extra: Partial<Parameters<typeof downloadBlob>[0]> = {}) {
  const info = await resolveCommit(s, { ...target, revision: 'main' });
  return downloadBlob({ client: s.client, cache: repoCacheOf(s, target), target, commit: info.commitSha, file, signal: new AbortController().signal, onProgress: () => {}, retryDelayMs: 5, ...extra });
}

describe('listing', () => {
  it('resolves branches and tags to the commit, lists across pages, and filters with globs', async () => {
    const s = session();
    expect((await resolveCommit(s, { ...target, revision: 'v1' })).commitSha).toBe(repo.commit);
    const all = await listRepoFiles(s, { ...target, revision: 'main' });
    expect(all.files.map((f) => f.path)).toEqual(repo.files.map((f) => f.path));
    expect(hub.requests.filter((r) => r.url.includes('/tree/') && r.url.includes('cursor=')).length).toBeGreaterThan(0);
    const big = all.files.find((f) => f.path === 'model.safetensors')!;
    expect(big).toMatchObject({ size: 300_000, lfs: { sha256: repo.files.find((f) => f.path === 'model.safetensors')!.sha256 }, cached: false });
    const some = await listRepoFiles(s, { ...target, revision: 'main', include: ['blocks.1.hook_resid_post/', '*.json'], exclude: ['config.json'] });
    expect(some.files.map((f) => f.path)).toEqual([
      'blocks.0.hook_resid_post/cfg.json',
      'blocks.1.hook_resid_post/cfg.json',
      'blocks.1.hook_resid_post/notes.txt',
      'blocks.1.hook_resid_post/sae_weights.safetensors',
      'blocks.2.hook_resid_post/cfg.json',
    ]);
    const exact = await listRepoFiles(s, { ...target, revision: 'main', files: ['README.md'] });
    expect(exact.files).toHaveLength(1);
    expect(hub.requests.some((r) => r.method === 'POST' && r.url.includes('/paths-info/'))).toBe(true);
    const ds = await listRepoFiles(s, { repoId: 'ds/corpus', repoType: 'dataset', revision: 'main', include: ['README.md'] });
    expect(ds.files).toHaveLength(1);
  });

  it('retries metadata requests that got a 5xx, then gives up with a clear error', async () => {
    const s = session();
    hub.failWithStatus(API_FAULTS, 502, 2);
    expect((await resolveCommit(s, { ...target, revision: 'main' })).commitSha).toBe(repo.commit);
    hub.failWithStatus(API_FAULTS, 503, 10);
    await expect(listRepoFiles(s, { ...target, revision: 'main' })).rejects.toMatchObject({ code: 'HUB_SERVER_ERROR', message: expect.stringContaining('HTTP 503') });
  });

  it('names what is wrong: no repo, no revision, no file, gated, hostile paths', async () => {
    const s = session();
    await expect(resolveCommit(s, { repoId: 'owner/nope', repoType: 'model', revision: 'main' })).rejects.toMatchObject({ code: 'HUB_REPO_NOT_FOUND' });
    await expect(resolveCommit(s, { ...target, revision: 'v9' })).rejects.toMatchObject({ code: 'HUB_REVISION_NOT_FOUND', message: expect.stringContaining('"v9"') });
    await expect(listRepoFiles(s, { ...target, revision: 'main', files: ['nope.bin'] })).rejects.toMatchObject({ code: 'HUB_ENTRY_NOT_FOUND', message: expect.stringContaining('"nope.bin"') });
    await expect(resolveCommit(s, { repoId: 'owner/gated', repoType: 'model', revision: 'main' })).rejects.toMatchObject({ code: 'HUB_GATED' });
    await expect(resolveCommit(session({ token: 'hf_good' }), { repoId: 'owner/gated', repoType: 'model', revision: 'main' })).resolves.toMatchObject({ commitSha: expect.any(String) });
    const cacheDir = temp('hub-cache-');
    await expect(listRepoFiles(session({ cacheDir }), { repoId: 'owner/evil', repoType: 'model', revision: 'main' })).rejects.toMatchObject({ code: 'HUB_UNSAFE_PATH', message: expect.stringContaining('../../escape.txt') });
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });
});

describe('downloadBlob', () => {
  const fileOf = async (s: HubSession, p: string) => (await listRepoFiles(s, { ...target, revision: 'main', files: [p] })).remote[0];

  it('writes blobs/<etag> and a relative snapshot symlink, verified by sha256 (LFS) and git sha1 (regular)', async () => {
    const s = session();
    const cache = repoCacheOf(s, target);
    for (const p of ['model.safetensors', 'blocks.2.hook_resid_post/cfg.json']) {
      const f = await fileOf(s, p);
      await fetchFile(s, f);
      const pointer = cache.snapshotPath(repo.commit, p);
      const content = fs.readFileSync(path.join(fixture, p));
      expect(fs.readFileSync(pointer)).toEqual(content);
      expect(fs.readlinkSync(pointer)).toBe(`${'../'.repeat(p.split('/').length + 1)}blobs/${etagOf(f)}`);
      // The blob names are the Hub's etags, recomputed here independently of the code under test.
      const expected = f.lfs ? createHash('sha256').update(content).digest('hex') : gitBlobSha1(content);
      expect(etagOf(f)).toBe(expected);
      expect(fs.existsSync(path.join(cache.root, 'blobs', expected))).toBe(true);
    }
    expect(fs.readdirSync(path.join(cache.root, 'blobs')).filter((n) => n.endsWith('.incomplete'))).toEqual([]);
  });

  it('resumes after a dropped connection with a Range request from the partial file', async () => {
    const s = session();
    const f = await fileOf(s, 'model.safetensors');
    hub.dropConnection('model.safetensors', 100_000, 2);
    const before = hub.resolveRequests('model.safetensors').length;
    const r = await fetchFile(s, f);
    const gets = hub.resolveRequests('model.safetensors').slice(before);
    expect(gets.length).toBe(3);
    expect(gets[0].range).toBeNull();
    expect(gets[1].range).toMatch(/^bytes=\d+-$/);
    expect(Number(/=(\d+)-/.exec(gets[1].range!)![1])).toBeGreaterThanOrEqual(100_000 - 65_536);
    expect(r.downloadedBytes).toBe(300_000);
    expect(fs.readFileSync(repoCacheOf(s, target).snapshotPath(repo.commit, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(fixture, 'model.safetensors')));
  });

  it('continues an .incomplete file left by an earlier process', async () => {
    const s = session();
    const cache = repoCacheOf(s, target);
    const f = await fileOf(s, 'model.safetensors');
    fs.mkdirSync(path.join(cache.root, 'blobs'), { recursive: true });
    fs.writeFileSync(cache.incompletePath(etagOf(f)), fs.readFileSync(path.join(fixture, 'model.safetensors')).subarray(0, 123_456));
    const before = hub.resolveRequests('model.safetensors').length;
    const r = await fetchFile(s, f);
    expect(r).toEqual({ downloadedBytes: 300_000 - 123_456, resumedFrom: 123_456 });
    expect(hub.resolveRequests('model.safetensors').slice(before).map((q) => q.range)).toEqual(['bytes=123456-']);
  });

  it('retries a 5xx and then succeeds', async () => {
    const s = session();
    const f = await fileOf(s, 'README.md');
    hub.failWithStatus('README.md', 503, 2);
    await fetchFile(s, f);
    expect(fs.existsSync(repoCacheOf(s, target).snapshotPath(repo.commit, 'README.md'))).toBe(true);
  });

  it('a checksum mismatch names the file and leaves nothing in blobs/ or the snapshot', async () => {
    const s = session();
    const cache = repoCacheOf(s, target);
    for (const p of ['blocks.0.hook_resid_post/sae_weights.safetensors', 'blocks.0.hook_resid_post/notes.txt']) {
      const f = await fileOf(s, p);
      hub.corruptContent(p);
      await expect(fetchFile(s, f)).rejects.toMatchObject({ code: 'HUB_CHECKSUM_MISMATCH', message: expect.stringContaining(p) });
      expect(fs.existsSync(cache.blobPath(etagOf(f)))).toBe(false);
      expect(fs.existsSync(cache.incompletePath(etagOf(f)))).toBe(false);
      expect(fs.existsSync(cache.snapshotPath(repo.commit, p))).toBe(false);
    }
  });

  it('sends the token to the Hub but not on to a CDN on another origin', async () => {
    const cdn = await MockHubServer.start();
    try {
      const gatedHub = await MockHubServer.start();
      try {
        gatedHub.addRepo({ repoId: 'owner/gated', folder: fixture, requiredToken: 'hf_good' });
        gatedHub.useCdn(cdn);
        const s = openHubSession({ endpoint: gatedHub.url, offline: false, parallelFiles: 1, cacheDir: temp('hub-cache-'), tokenDelivery: 'confirmed' }, 'hf_good', 5);
        const t = { repoId: 'owner/gated', repoType: 'model' as const };
        const listed = await listRepoFiles(s, { ...t, revision: 'main', files: ['model.safetensors'] });
        await downloadBlob({ client: s.client, cache: repoCacheOf(s, t), target: t, commit: listed.commitSha, file: listed.remote[0], signal: new AbortController().signal, onProgress: () => {} });
        expect(gatedHub.resolveRequests('model.safetensors').map((r) => r.authorized)).toEqual([true]);
        expect(cdn.requests.map((r) => [r.url.startsWith('/cdn/'), r.authorized])).toEqual([[true, false]]);
        expect(fs.readFileSync(repoCacheOf(s, t).snapshotPath(listed.commitSha, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(fixture, 'model.safetensors')));
      } finally {
        await gatedHub.close();
      }
    } finally {
      await cdn.close();
    }
  });

  it('refuses content the Hub announces with a different etag than it listed (LFS and regular)', async () => {
    const s = session();
    const cache = repoCacheOf(s, target);
    for (const p of ['model.safetensors', 'README.md']) {
      const f = await fileOf(s, p);
      hub.wrongEtag(p);
      await expect(fetchFile(s, f)).rejects.toMatchObject({ code: 'HUB_ETAG_MISMATCH', message: expect.stringContaining(`"${p}"`) });
      expect(fs.existsSync(cache.snapshotPath(repo.commit, p))).toBe(false);
      expect(fs.existsSync(cache.incompletePath(etagOf(f)))).toBe(false);
    }
  });

  it('a full disk is a clear error, keeps the partial file resumable and links nothing', async () => {
    const s = session();
    const cache = repoCacheOf(s, target);
    const f = await fileOf(s, 'model.safetensors');
    let budget = 50_000;
    const quota: OpenBlobWriter = async (file, append) => {
      const real = await openFileWriter(file, append);
      return {
        async write(chunk) {
          if (chunk.length > budget) {
            // Like a real disk: what fits is written, then the write fails.
            await real.write(chunk.subarray(0, budget));
            budget = 0;
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          }
          budget -= chunk.length;
          await real.write(chunk);
        },
        close: () => real.close(),
      };
    };
    await expect(fetchFile(s, f, { openWriter: quota })).rejects.toMatchObject({ code: 'HUB_DISK_FULL', message: expect.stringContaining('model.safetensors') });
    expect(fs.existsSync(cache.snapshotPath(repo.commit, 'model.safetensors'))).toBe(false);
    expect(fs.existsSync(cache.blobPath(etagOf(f)))).toBe(false);
    const partial = fs.statSync(cache.incompletePath(etagOf(f))).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBe(50_000);
    const r = await fetchFile(s, f);
    expect(r.resumedFrom).toBe(partial);
    expect(fs.readFileSync(cache.snapshotPath(repo.commit, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(fixture, 'model.safetensors')));
  });

  it('stops promptly on abort and keeps the partial file', async () => {
    const s = session();
    const cache = repoCacheOf(s, target);
    const f = await fileOf(s, 'model.safetensors');
    hub.slowStream('model.safetensors', 200_000);
    const controller = new AbortController();
    const run = fetchFile(s, f, { signal: controller.signal, onProgress: (b) => b > 20_000 && controller.abort(new Error('pause')) });
    await expect(run).rejects.toThrow('pause');
    expect(fs.statSync(cache.incompletePath(etagOf(f))).size).toBeGreaterThan(20_000);
  });
});

describe('blob lock', () => {
  const fileOf = async (s: HubSession, p: string) => (await listRepoFiles(s, { ...target, revision: 'main', files: [p] })).remote[0];

  it('two downloads of the same blob at once fetch it once; the second waits and links', async () => {
    const s = session();
    const f = await fileOf(s, 'model.safetensors');
    hub.slowStream('model.safetensors', 1_000_000);
    const before = hub.resolveRequests('model.safetensors').length;
    const waits: string[] = [];
    const [a, b] = await Promise.all([fetchFile(s, f), fetchFile(s, f, { log: (m) => waits.push(m) })]);
    expect(hub.resolveRequests('model.safetensors').length - before).toBe(1);
    expect([a.downloadedBytes, b.downloadedBytes].sort()).toEqual([0, 300_000]);
    expect(waits.join()).toMatch(/another download of the same content/);
    expect(fs.existsSync(repoCacheOf(s, target).lockPath(etagOf(f)))).toBe(false);
  });

  it('takes over a lock left by a dead process', async () => {
    const s = session();
    const f = await fileOf(s, 'README.md');
    const lock = repoCacheOf(s, target).lockPath(etagOf(f));
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    fs.writeFileSync(lock, dead.stdout);
    await fetchFile(s, f);
    expect(fs.existsSync(repoCacheOf(s, target).snapshotPath(repo.commit, 'README.md'))).toBe(true);
    expect(fs.existsSync(lock)).toBe(false);
  });
});

describe('offline mode', () => {
  it('reads a cache laid out by Python huggingface_hub (built here by hand) online and offline', async () => {
    const cacheDir = temp('hub-cache-');
    const root = path.join(cacheDir, 'models--owner--sae-repo');
    const put = (p: string) => {
      const meta = repo.files.find((f) => f.path === p)!;
      const etag = meta.lfs ? meta.sha256 : meta.gitOid;
      fs.mkdirSync(path.join(root, 'blobs'), { recursive: true });
      fs.writeFileSync(path.join(root, 'blobs', etag), fs.readFileSync(path.join(fixture, p)));
      const pointer = path.join(root, 'snapshots', repo.commit, ...p.split('/'));
      fs.mkdirSync(path.dirname(pointer), { recursive: true });
      fs.symlinkSync(path.relative(path.dirname(pointer), path.join(root, 'blobs', etag)), pointer);
    };
    put('config.json');
    put('blocks.0.hook_resid_post/sae_weights.safetensors');
    fs.mkdirSync(path.join(root, 'refs'), { recursive: true });
    fs.writeFileSync(path.join(root, 'refs', 'main'), repo.commit);
    const online = await listRepoFiles(session({ cacheDir }), { ...target, revision: 'main' });
    expect(online.files.filter((f) => f.cached).map((f) => f.path)).toEqual(['blocks.0.hook_resid_post/sae_weights.safetensors', 'config.json']);
    expect(online.missingBytes).toBe(repo.files.filter((f) => !['config.json', 'blocks.0.hook_resid_post/sae_weights.safetensors'].includes(f.path)).reduce((n, f) => n + f.size, 0));
    const offline = await listRepoFiles(session({ cacheDir, offline: true }), { ...target, revision: 'main' });
    expect(offline.files.map((f) => [f.path, f.cached])).toEqual([
      ['blocks.0.hook_resid_post/sae_weights.safetensors', true],
      ['config.json', true],
    ]);
  });

  it('never opens a connection, finds cached files and names the uncached ones', async () => {
    const cacheDir = temp('hub-cache-');
    const online = session({ cacheDir });
    const f = (await listRepoFiles(online, { ...target, revision: 'main', files: ['config.json'] })).remote[0];
    await fetchFile(online, f);
    repoCacheOf(online, target).writeRef('main', repo.commit);
    const count = hub.requests.length;
    const offline = session({ cacheDir, offline: true });
    const listed = await listRepoFiles(offline, { ...target, revision: 'main' });
    expect(listed).toMatchObject({ commitSha: repo.commit, fromCache: true, files: [{ path: 'config.json', cached: true, gitOid: etagOf(f) }] });
    await expect(listRepoFiles(offline, { ...target, revision: 'main', files: ['model.safetensors'] })).rejects.toMatchObject({ code: 'HUB_OFFLINE_NOT_CACHED', message: expect.stringContaining('"model.safetensors"') });
    await expect(resolveCommit(offline, { ...target, revision: 'v1' })).rejects.toMatchObject({ code: 'HUB_OFFLINE_NOT_CACHED', message: expect.stringContaining('"v1"') });
    await expect(offline.client.resolveRevision(target, 'main')).rejects.toMatchObject({ code: 'HUB_OFFLINE' });
    expect(hub.requests.length).toBe(count);
  });
});
