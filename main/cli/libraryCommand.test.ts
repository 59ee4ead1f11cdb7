import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LibraryListing } from '../../preload/api';
import { makeTempDir } from '../testing/tempDirs';
import { FIXTURE_D_MODEL, seedModelRepoFiles, seedSaeRepoFiles, SEED_MODEL_REPOS, SEED_SAE_REPO, writeHfCacheRepo, writeTree } from '../library/testing/seedRepoFixture';
import { runCliCaptured as cli } from '../testing/cliRun';
import { randomSaeTensors, v6TopkCfg, writeSaeDir } from '../formats/testing/saeFixture';

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
    expect(text.out).toContain(
      'sae      connaaa/interpgpt-sae-phase5/adhd_L1_hook_resid_post · 64 features · k 8  topk d_in=16 d_sae=64 k=8 hook=blocks.1.hook_resid_post model=connaaa/interpgpt-adhd-23M (not linked: its cfg names "connaaa/interpgpt-adhd-23M", which is not in the Library; 1 model(s) have d_model 16: link it by hand)',
    );
    expect(text.out).toContain('model=connaaa/interpgpt-standard-23M (linked by model_name: cfg model_name "connaaa/interpgpt-standard-23M")');
    // --json carries the same identity and link the text shows.
    const adhdL1 = listing.items.find((i) => i.name === 'adhd_L1_hook_resid_post')!;
    expect(adhdL1.identity).toMatchObject({ label: `${SEED_SAE_REPO}/adhd_L1_hook_resid_post · 64 features · k 8`, detail: `HF model ${SEED_SAE_REPO} @ main` });
    expect(adhdL1.sae!.link).toMatchObject({ modelItemId: null, evidence: null });
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

  it('links an SAE to a model by hand, keeps the link across scans, refuses a width mismatch, and unlinks', async () => {
    process.env.HF_HUB_CACHE = temp('emptycache');
    const home = temp('home');
    const local = temp('local');
    // Two models of the SAE's width and a cfg that names neither: no automatic evidence decides.
    writeTree(path.join(local, 'run-a'), seedModelRepoFiles(1));
    writeTree(path.join(local, 'run-b'), seedModelRepoFiles(2));
    const cfg = v6TopkCfg(FIXTURE_D_MODEL, 32, 4);
    delete (cfg.metadata as Record<string, unknown>).model_name;
    const sae = writeSaeDir(path.join(local, 'saes', 'blocks.1.hook_resid_post'), cfg, randomSaeTensors(FIXTURE_D_MODEL, 32, 3));
    const wide = writeSaeDir(path.join(local, 'wide'), v6TopkCfg(32, 64, 4), randomSaeTensors(32, 64, 4));
    expect((await cli(['library', 'add', local, '--home', home])).code).toBe(0);
    const before = await cli(['library', 'list', '--cached', '--home', home]);
    expect(before.out).toContain('model=unknown model (not linked: its cfg names no model; 2 model(s) have d_model 16: link it by hand)');

    const linked = await cli(['library', 'link', sae, path.join(local, 'run-b'), '--home', home]);
    expect(linked.out.trim()).toBe('saes/blocks.1.hook_resid_post · 32 features · k 4: model run-b, linked by hand.');
    // A rescan keeps it: the link is stored by path, not with the scanned items.
    const after = JSON.parse((await cli(['library', '--json', '--home', home])).out) as LibraryListing;
    const item = after.items.find((i) => i.path === sae)!;
    expect(item.sae).toMatchObject({ groupModel: 'run-b', link: { evidence: 'manual', modelPath: path.join(local, 'run-b') } });

    const refused = await cli(['library', 'link', wide, path.join(local, 'run-a'), '--home', home]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('reads 32-wide activations but run-a has d_model 16');

    const unlinked = await cli(['library', 'unlink', sae, '--home', home]);
    expect(unlinked.out).toContain('not linked: its cfg names no model');
  });
});
