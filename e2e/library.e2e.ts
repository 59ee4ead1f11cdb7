/**
 * Library in the browser: the HF cache (written in the exact huggingface_hub layout) is scanned on
 * open; the seed repo's seven SAEs appear grouped by model and layer, its JSON results open as
 * tables, a local file is added without the Hub, and Settings shows the token as set, never its value.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedModelRepoFiles, seedSaeRepoFiles, SEED_MODEL_REPOS, SEED_SAE_REPO, writeHfCacheRepo, writeTree } from '../main/library/testing/seedRepoFixture';
import { launchBrowser, openApp, screenshot, serveApp, tempHome, type ServedApp } from './harness';

let app: ServedApp;
let browser: Browser;
let localDir: string;

beforeAll(async () => {
  const cache = tempHome('hfcache');
  writeHfCacheRepo(cache, { repoType: 'model', repoId: SEED_SAE_REPO, files: seedSaeRepoFiles() });
  writeHfCacheRepo(cache, { repoType: 'model', repoId: SEED_MODEL_REPOS.standard, files: seedModelRepoFiles(1) });
  writeHfCacheRepo(cache, { repoType: 'model', repoId: SEED_MODEL_REPOS.adhd, files: seedModelRepoFiles(2) });
  localDir = tempHome('local');
  writeTree(localDir, {
    'prompts.jsonl': Buffer.from('{"text":"Once upon a time"}\n{"text":"Step one"}\n'),
    // Records holding a nest too big to flatten into columns: the viewer opens it on demand.
    // A long vector (a direction in model space): plotted, its values on request.
    'direction.json': Buffer.from(JSON.stringify({ layer: 2, direction: Array.from({ length: 64 }, (_, i) => Math.sin(i / 5)) })),
    'sweep.json': Buffer.from(JSON.stringify({ runs: [1, 2].map((run) => ({ run, lr: run * 1e-4, per_feature: Object.fromEntries(Array.from({ length: 20 }, (_, f) => [`f${f}`, { fired: f * run, mean: f / 10 }])) })) })),
  });
  // Offline, with an endpoint nothing listens on: the Library must never need the network.
  app = await serveApp({ env: { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9', HF_TOKEN: '' } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('Library page', () => {
  it('lists the seed repo from the HF cache: SAEs by model and layer, models, results as tables', async () => {
    const { page, errors } = await openApp(browser, app);
    const adhd = page.getByRole('table', { name: `SAEs for ${SEED_MODEL_REPOS.adhd}` });
    await adhd.waitFor({ timeout: 30_000 });
    const standard = page.getByRole('table', { name: `SAEs for ${SEED_MODEL_REPOS.standard}` });
    await expect(adhd.locator('tbody tr').count()).resolves.toBe(3);
    await expect(standard.locator('tbody tr').count()).resolves.toBe(4);
    // Rows sorted by layer, with the cfg facts.
    // The SAE's label says what tells it apart (width, k): the same label every page shows.
    await expect(adhd.locator('tbody tr').first().innerText()).resolves.toMatch(/^1\s+connaaa\/interpgpt-sae-phase5\/adhd_L1_hook_resid_post · 64 features · k 8\s+HF model @ main\s+topk\s+16\s+64\s+8\s+blocks\.1\.hook_resid_post/);
    const models = page.getByRole('table', { name: 'Models' });
    await expect(models.innerText()).resolves.toMatch(new RegExp(`${SEED_MODEL_REPOS.adhd}[\\s\\S]*GPT2LMHeadModel\\s+4\\s+16\\s+2\\s+50\\s+14\\.5k`));
    await screenshot(page, 'library-seed');

    // The filter narrows every section; all words must match.
    await page.getByLabel('Filter the Library').fill('adhd L2');
    await expect(page.locator('.library-section').allInnerTexts()).resolves.toHaveLength(1);
    await expect(adhd.locator('tbody tr').count()).resolves.toBe(1);
    await page.getByLabel('Filter the Library').fill('');
    await expect(standard.locator('tbody tr').count()).resolves.toBe(4);

    // A row opens the item's details.
    await adhd.getByText(`${SEED_SAE_REPO}/adhd_L3_hook_resid_post · 64 features · k 8`, { exact: true }).click();
    const details = page.getByRole('region', { name: `Details of ${SEED_SAE_REPO}/adhd_L3_hook_resid_post · 64 features · k 8` });
    const detailText = await details.innerText();
    expect(detailText).toMatch(/cfg generation\s+v6/);
    expect(detailText).toMatch(new RegExp(`model\\s+${SEED_MODEL_REPOS.adhd}\\s+link\\s+linked by model_name: cfg model_name "${SEED_MODEL_REPOS.adhd}"`));
    // Its actions are links to the pages that do them, and the chosen item is in the URL.
    await expect(details.getByRole('link', { name: 'Feature index' }).getAttribute('href')).resolves.toMatch(/^#\/features\?sae=.*adhd_L3_hook_resid_post$/);
    expect(decodeURIComponent(page.url())).toMatch(/#\/library\?item=\w+/);
    expect(detailText).toMatch(/refs\s+main/);
    await screenshot(page, 'library-sae-detail');
    // "Evaluate" opens the Training page's evaluation form with this SAE and its linked model chosen.
    await details.getByRole('link', { name: 'Evaluate' }).click();
    await expect.poll(() => page.getByLabel('Evaluation SAE').inputValue()).toMatch(/adhd_L3_hook_resid_post$/);
    await expect(page.getByLabel('Evaluation model').inputValue()).resolves.not.toBe('');
    await page.goBack();
    await details.getByRole('button', { name: 'Close details' }).click();

    const results = page.getByRole('table', { name: 'Results' });
    await expect(results.locator('tbody tr').count()).resolves.toBe(4);
    await page.getByRole('button', { name: 'Open feature_diff.json' }).click();
    const viewer = page.getByRole('region', { name: 'Artifact feature_diff.json' });
    const diffs = viewer.getByRole('table', { name: 'top_diffs' });
    await diffs.waitFor();
    const headers = await diffs.locator('thead th').allTextContents();
    expect(headers).toEqual(['#', 'feature', 'density_a', 'density_b', 'diff', 'label', 'stats.t', 'stats.p']);
    await expect(diffs.locator('tbody tr').count()).resolves.toBe(12);
    await expect(viewer.getByRole('table', { name: 'values' }).innerText()).resolves.toContain(`model_b\t${SEED_MODEL_REPOS.adhd}`);
    // Sorting by a column orders the numbers.
    await diffs.locator('thead th', { hasText: /^diff$/ }).click();
    const sorted = (await diffs.locator('tbody tr td:nth-child(5)').allInnerTexts()).map(Number);
    expect(sorted).toEqual([...sorted].sort((a, b) => a - b));
    await screenshot(page, 'library-artifact-feature-diff');

    await page.getByRole('button', { name: 'Open causal_nulls_per_seed.json' }).click();
    const nulls = page.getByRole('region', { name: 'Artifact causal_nulls_per_seed.json' }).getByRole('table', { name: 'values' });
    await nulls.waitFor();
    expect(await nulls.locator('thead th').allTextContents()).toEqual(['key', 'effect', 'null_mean', 'null_std', 'n_null', 'z']);
    expect(await nulls.locator('tbody tr td:first-child').allInnerTexts()).toEqual(['seed_0', 'seed_1', 'seed_2', 'seed_3', 'seed_4']);

    await page.getByRole('button', { name: 'Open three_probes.json' }).click();
    const probes = page.getByRole('region', { name: 'Artifact three_probes.json' }).getByRole('table', { name: 'probes' });
    await probes.waitFor();
    expect(await probes.locator('tbody tr td:first-child').allInnerTexts()).toEqual(['linear', 'mlp', 'sae_latents']);
    await screenshot(page, 'library-artifact-probes');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('adds a local dataset file without the Hub', async () => {
    const { page, errors } = await openApp(browser, app);
    await page.getByText('Add a local folder or file').click();
    await page.getByLabel('Local path').fill(path.join(localDir, 'prompts.jsonl'));
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.getByRole('status').innerText()).resolves.toContain('1 dataset');
    await expect(page.getByRole('table', { name: 'Datasets' }).innerText()).resolves.toMatch(/prompts\.jsonl[\s\S]*jsonl\s+1\s+2\s/);
    await page.getByRole('table', { name: 'Datasets' }).getByText('prompts.jsonl', { exact: true }).waitFor();
    await page.getByLabel('Local path').fill(path.join(localDir, 'sweep.json'));
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('button', { name: 'Open sweep.json' }).click();
    const runs = page.getByRole('region', { name: 'Artifact sweep.json' }).getByRole('table', { name: 'runs' });
    await runs.waitFor();
    expect(await runs.locator('thead th').allTextContents()).toEqual(['#', 'run', 'lr', 'per_feature']);
    await runs.getByRole('button', { name: '▸ object, 20 keys' }).first().click();
    const nested = runs.getByRole('table', { name: 'runs.0.per_feature' });
    await nested.waitFor();
    expect(await nested.locator('thead th').allTextContents()).toEqual(['key', 'fired', 'mean']);
    await expect(nested.locator('tbody tr').count()).resolves.toBe(20);
    await screenshot(page, 'library-artifact-nested');

    await page.getByLabel('Local path').fill(path.join(localDir, 'direction.json'));
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('button', { name: 'Open direction.json' }).click();
    const viewer = page.getByRole('region', { name: 'Artifact direction.json' });
    await viewer.getByRole('figure', { name: 'Plot of direction' }).locator('svg').first().waitFor();
    await expect(viewer.innerText()).resolves.toMatch(/64 values · min -0\.99999 · mean [\d.e-]+ · max 0\.999574/);
    // Rows only on request: a 64-value vector no longer makes a 64-row page.
    await expect(viewer.getByRole('table', { name: 'direction' }).count()).resolves.toBe(0);
    await viewer.getByRole('button', { name: 'Show values' }).click();
    await expect(viewer.getByRole('table').last().locator('tbody tr').count()).resolves.toBe(64);
    await viewer.getByRole('button', { name: 'Hide values' }).click();
    await screenshot(page, 'library-artifact-vector');

    await page.getByLabel('Local path').fill(path.join(localDir, 'missing-folder'));
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/does not exist[\s\S]*cfg\.json/);
    await screenshot(page, 'library-local-added');
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('first launch: an empty Library offers the demo bundle (issue 17)', () => {
  it('says what the demo is, creates it on request, lists it with labels that tell its SAEs apart, and opens its README', async () => {
    // An empty HF cache and no folders: what a new user sees first.
    const fresh = await serveApp({ env: { HF_HUB_CACHE: tempHome('empty-cache'), HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9', HF_TOKEN: '' } });
    try {
      const { page, errors } = await openApp(browser, fresh);
      await page.getByText('Nothing here yet.').waitFor({ timeout: 30_000 });
      const offer = page.getByRole('group', { name: 'Demo bundle' });
      await expect(offer.innerText()).resolves.toMatch(/Start with the demo bundle: two tiny GPT-2 models/);
      await screenshot(page, 'library-empty-demo-offer');
      await offer.getByRole('button', { name: 'Create the demo bundle' }).click();
      const bundle = page.getByRole('region', { name: 'Demo bundle v1' });
      await bundle.waitFor({ timeout: 120_000 });
      const saes = await bundle.locator('table[aria-label^="SAEs for"] tbody tr').allInnerTexts();
      expect(saes.join('\n')).toContain('demo-adhd/blocks.2.hook_resid_post (demo, constructed) · 256 features · k 8');
      // README: a link that opens the document in the page, not plain text.
      await bundle.getByRole('button', { name: 'resources/demo/README.md' }).click();
      const readme = page.getByRole('dialog', { name: "The demo bundle's README" });
      await readme.getByRole('heading', { name: 'The planted mechanism (ground truth)' }).waitFor();
      await expect(readme.locator('table').count()).resolves.toBeGreaterThanOrEqual(3);
      await screenshot(page, 'library-demo-readme');
      await page.keyboard.press('Escape');
      await expect(readme.count()).resolves.toBe(0);
      await screenshot(page, 'library-demo-created');
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await fresh.stop();
    }
  }, 180_000);
});

describe('Settings page', () => {
  it('stores a Hub token without ever showing it; offline mode forced by HF_HUB_OFFLINE is shown', async () => {
    const secret = 'hf_e2eSecretToken0123456789';
    const { page, errors } = await openApp(browser, app);
    await page.goto(`${app.origin}/#/settings`);
    await page.getByTestId('data-directory').filter({ hasText: app.home }).waitFor();
    await expect(page.getByTestId('token-status').innerText()).resolves.toBe('No token set.');
    const offline = page.getByLabel('Offline mode');
    await expect(offline.isChecked()).resolves.toBe(true);
    await expect(offline.isDisabled()).resolves.toBe(true);

    await page.getByLabel('Hub token').fill(secret);
    await page.getByRole('button', { name: 'Save token' }).click();
    await page.getByText('A token is stored').waitFor();
    await expect(page.getByLabel('Hub token').inputValue()).resolves.toBe('');
    expect(await page.content()).not.toContain(secret);
    await screenshot(page, 'settings');
    // Neither the database nor the logs hold the token: only the owner-only secret file does
    // (browser mode has no OS keychain; Electron plugs one in).
    const secretFile = path.join(app.home, 'secrets', 'hf_token');
    expect(fs.statSync(secretFile).mode & 0o077).toBe(0);
    for (const file of walk(app.home).filter((f) => f !== secretFile)) expect(fs.readFileSync(file).includes(secret), file).toBe(false);

    await page.getByLabel('Parallel downloads').fill('3');
    await page.getByText('Saved: parallel downloads').waitFor();
    await page.reload();
    await expect(page.getByLabel('Parallel downloads').inputValue()).resolves.toBe('3');
    await expect(page.getByTestId('token-status').innerText()).resolves.toContain('A token is stored');
    expect(errors).toEqual([]);
    await page.close();
  });
});

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : []));
}
