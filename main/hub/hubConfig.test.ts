import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCacheDir, resolveHubConfig } from './hubConfig';
import { parseRepoRef, repoFolderName } from './repoRef';

describe('cache dir and endpoint resolution', () => {
  it('HF_HUB_CACHE > HF_HOME/hub > ~/.cache/huggingface/hub', () => {
    expect(resolveCacheDir({ HF_HUB_CACHE: '/x/cache', HF_HOME: '/y' })).toBe('/x/cache');
    expect(resolveCacheDir({ HF_HOME: '/y' })).toBe('/y/hub');
    expect(resolveCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
    expect(resolveCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/huggingface/hub');
  });
  it('env wins over stored settings; offline from HF_HUB_OFFLINE or the switch', () => {
    const stored = { endpoint: 'https://mirror.example/', offline: false, parallelFiles: null, tokenEndpointConfirmed: null };
    expect(resolveHubConfig(stored, {})).toMatchObject({ endpoint: 'https://mirror.example', endpointSource: 'settings', offline: false, parallelFiles: 4 });
    expect(resolveHubConfig(stored, { HF_ENDPOINT: 'http://127.0.0.1:9/' })).toMatchObject({ endpoint: 'http://127.0.0.1:9', endpointSource: 'env' });
    expect(resolveHubConfig({ ...stored, endpoint: null }, {})).toMatchObject({ endpoint: 'https://huggingface.co', endpointSource: 'default' });
    expect(resolveHubConfig(stored, { HF_HUB_OFFLINE: 'yes' })).toMatchObject({ offline: true, offlineSource: 'env' });
    expect(resolveHubConfig({ ...stored, offline: true }, { HF_HUB_OFFLINE: '0' })).toMatchObject({ offline: true, offlineSource: 'settings' });
    expect(() => resolveHubConfig(stored, { HF_ENDPOINT: 'ftp://x' })).toThrow(/HF_ENDPOINT/);
  });
});

describe('repo references', () => {
  it('parses ids and URLs', () => {
    expect(parseRepoRef('EleutherAI/pythia-70m')).toEqual({ repoId: 'EleutherAI/pythia-70m', repoType: 'model' });
    expect(parseRepoRef('gpt2')).toEqual({ repoId: 'gpt2', repoType: 'model' });
    expect(parseRepoRef('https://huggingface.co/datasets/NeelNanda/pile-10k/tree/v1.0/data')).toEqual({ repoId: 'NeelNanda/pile-10k', repoType: 'dataset', revision: 'v1.0' });
    expect(parseRepoRef('https://hf-mirror.com/jbloom/GPT2-Small-SAEs-Reformatted/blob/main/cfg.json')).toEqual({ repoId: 'jbloom/GPT2-Small-SAEs-Reformatted', repoType: 'model', revision: 'main' });
    expect(parseRepoRef('datasets/a/b')).toEqual({ repoId: 'a/b', repoType: 'dataset' });
    expect(parseRepoRef('a/b', 'dataset').repoType).toBe('dataset');
    expect(parseRepoRef('https://huggingface.co/a/b/tree/refs%2Fpr%2F3').revision).toBe('refs/pr/3');
  });
  it('rejects malformed ids with the value in the message', () => {
    for (const bad of ['a/b/c', 'a--b/c', 'a/..', '../etc', 'a/b.git', 'a b/c', '-a/b', 'spaces/a/b']) {
      expect(() => parseRepoRef(bad), bad).toThrow(/not a valid|Space/);
    }
    expect(() => parseRepoRef('datasets/a/b', 'model')).toThrow(/dataset repo/);
    expect(() => parseRepoRef('hf://a/b/tree/..')).toThrow(/revision/);
  });
  it('names the cache folder like huggingface_hub', () => {
    expect(repoFolderName('EleutherAI/pythia-70m', 'model')).toBe('models--EleutherAI--pythia-70m');
    expect(repoFolderName('gpt2', 'model')).toBe('models--gpt2');
    expect(repoFolderName('a/b', 'dataset')).toBe('datasets--a--b');
  });
});
