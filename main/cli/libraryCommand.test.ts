import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LibraryListing } from '../../preload/api';
import { makeTempDir } from '../testing/tempDirs';
import { seedModelRepoFiles, seedSaeRepoFiles, SEED_MODEL_REPOS, SEED_SAE_REPO, writeHfCacheRepo, writeTree } from '../library/testing/seedRepoFixture';
import { runCliCaptured as cli } from '../testing/cliRun';

const cleanups: (() => void)[] = [];
const savedCache = process.env.HF_HUB_CACHE;
afterEach(() => {
  cleanups.splice(0).forEach((c) => c());
  if (savedCache === undefined) delete process.env.HF_HUB_CACHE;
  else process.env.HF_HUB_CACHE = savedCache;
});
function temp(label: string): string {
  const t = makeTempDir(label);
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('sae-workbench library', () => {
  it('--json scans the HF cache and prints the catalog', async () => {
    const cache = temp('hfcache');
    writeHfCacheRepo(cache, { repoType: 'model', repoId: SEED_SAE_REPO, files: seedSaeRepoFiles() });
    writeHfCacheRepo(cache, { repoType: 'model', repoId: SEED_MODEL_REPOS.standard, files: seedModelRepoFiles() });
    process.env.HF_HUB_CACHE = cache;
    const home = temp('home');
    const { code, out } = await cli(['library', '--json', '--home', home]);
    expect(code).toBe(0);
    const listing = JSON.parse(out) as LibraryListing;
    expect(listing.hubCacheDir).toBe(cache);
    expect(listing.items.filter((i) => i.kind === 'sae')).toHaveLength(7);
    expect(listing.items.find((i) => i.name === 'standard_L2_hook_resid_post')!.sae!.groupModel).toBe(SEED_MODEL_REPOS.standard);

    const text = await cli(['library', 'list', '--cached', '--home', home]);
    expect(text.out).toContain(`model    ${SEED_MODEL_REPOS.standard}  GPT2LMHeadModel  layers=4 d_model=16 params=14464`);
    expect(text.out).toMatch(/sae {6}adhd_L1_hook_resid_post {2}topk d_in=16 d_sae=64 k=8 hook=blocks\.1\.hook_resid_post model=connaaa\/interpgpt-adhd-23M/);
  });

  it('adds and removes a folder; a bad path fails with a hint', async () => {
    process.env.HF_HUB_CACHE = temp('emptycache');
    const home = temp('home');
    const local = temp('local');
    writeTree(local, seedSaeRepoFiles());
    const sae = path.join(local, 'adhd_L3_hook_resid_post');
    const added = await cli(['library', 'add', sae, '--home', home]);
    expect(added.code).toBe(0);
    expect(added.out).toContain(`Added ${sae}: 1 item(s).`);
    const missing = await cli(['library', 'add', path.join(local, 'nope'), '--home', home]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/does not exist[\s\S]*Hint: /);
    expect((await cli(['library', 'remove', sae, '--home', home])).code).toBe(0);
    expect((await cli(['library', 'remove', sae, '--home', home])).code).toBe(1);
  });
});
