import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RepoCache } from './repoCache';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tempCache = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-cache-'));
  dirs.push(d);
  return d;
};

const commit = 'a'.repeat(40);
const sha256 = 'b'.repeat(64);

describe('RepoCache layout', () => {
  it('links nested snapshot paths with relative symlinks to ../../blobs/<etag> like huggingface_hub', () => {
    const cache = new RepoCache(tempCache(), 'owner/name', 'model');
    fs.mkdirSync(path.join(cache.root, 'blobs'), { recursive: true });
    fs.writeFileSync(cache.blobPath(sha256), 'hello');
    const top = cache.link(commit, 'model.safetensors', sha256);
    const nested = cache.link(commit, 'blocks.0/sub/sae_weights.safetensors', sha256);
    expect(top).toBe(path.join(cache.cacheDir, 'models--owner--name', 'snapshots', commit, 'model.safetensors'));
    expect(fs.readlinkSync(top)).toBe(`../../blobs/${sha256}`);
    expect(fs.readlinkSync(nested)).toBe(`../../../../blobs/${sha256}`);
    expect(fs.readFileSync(nested, 'utf8')).toBe('hello');
    expect(cache.isLinked(commit, 'blocks.0/sub/sae_weights.safetensors', sha256, 5)).toBe(true);
    expect(cache.isLinked(commit, 'blocks.0/sub/sae_weights.safetensors', sha256, 6)).toBe(false);
    expect(cache.listSnapshot(commit)).toEqual([
      { path: 'blocks.0/sub/sae_weights.safetensors', size: 5, etag: sha256 },
      { path: 'model.safetensors', size: 5, etag: sha256 },
    ]);
  });
  it('writes refs only for names, and resolves offline from refs or an existing snapshot', () => {
    const cache = new RepoCache(tempCache(), 'd/x', 'dataset');
    expect(cache.root.endsWith('datasets--d--x')).toBe(true);
    cache.writeRef('main', commit);
    cache.writeRef(commit, commit);
    expect(fs.readFileSync(path.join(cache.root, 'refs', 'main'), 'utf8')).toBe(commit);
    expect(fs.readdirSync(path.join(cache.root, 'refs'))).toEqual(['main']);
    cache.writeRef('refs/pr/1', commit);
    expect(cache.commitFromCache('refs/pr/1')).toBe(commit);
    expect(cache.commitFromCache('main')).toBe(commit);
    expect(cache.commitFromCache('v2')).toBeNull();
    expect(cache.commitFromCache(commit)).toBeNull();
    fs.mkdirSync(cache.snapshotDir(commit), { recursive: true });
    expect(cache.commitFromCache(commit)).toBe(commit);
  });
  it('refuses paths that would escape the snapshot', () => {
    const cache = new RepoCache(tempCache(), 'o/n', 'model');
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', 'a\\..\\b', './a', 'C:/x']) {
      expect(() => cache.snapshotPath(commit, bad), bad).toThrow(/escape the cache/);
    }
    expect(() => cache.refPath('../../x')).toThrow(/not a valid revision/);
    expect(() => cache.blobPath('../x')).toThrow(/content hash/);
  });
});
