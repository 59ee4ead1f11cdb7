/**
 * Add from Hub in the browser, against the mock Hub: paste the repo, see the file tree with sizes,
 * tick files, start; progress (total, per file, rate) shows while it runs; pause and resume; the
 * files then appear in the Library and a JSON result opens as a table.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockHubServer } from '../main/hub/testing/mockHubServer';
import { seedSaeRepoFiles, SEED_MODEL_REPOS, SEED_SAE_REPO, writeTree } from '../main/library/testing/seedRepoFixture';
import { launchBrowser, openApp, screenshot, serveApp, tempHome, type ServedApp } from './harness';

const WEIGHTS = 'adhd_L2_hook_resid_post/sae_weights.safetensors';
let hub: MockHubServer;
let app: ServedApp;
let browser: Browser;
let cache: string;

beforeAll(async () => {
  hub = await MockHubServer.start();
  const folder = tempHome('hubrepo');
  writeTree(folder, seedSaeRepoFiles());
  hub.addRepo({ repoId: SEED_SAE_REPO, folder });
  // Slow enough that progress, pause and resume can be seen (~9 KB at 1.5 KB/s).
  hub.slowStream(WEIGHTS, 1500);
  cache = tempHome('hfcache');
  app = await serveApp({ env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '', HF_TOKEN: '' } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await hub?.close();
});

describe('Add from Hub', () => {
  it('paste repo -> file tree with sizes -> tick files -> progress, pause, resume -> files in the Library -> artifact table', async () => {
    const { page, errors } = await openApp(browser, app);
    // Folded on a first visit (nothing downloading): the user opens it.
    await expect(page.getByLabel('Hub repository').isVisible()).resolves.toBe(false);
    await page.getByText('Add from Hub').click();
    await page.getByLabel('Hub repository').fill(`https://huggingface.co/${SEED_SAE_REPO}`);
    await page.getByRole('button', { name: 'List files' }).click();
    const tree = page.getByRole('tree', { name: 'Repository files' });
    await tree.waitFor();
    const files = seedSaeRepoFiles();
    const totalBytes = Object.values(files).reduce((s, b) => s + b.length, 0);
    await expect(page.locator('.hub-listing').innerText()).resolves.toContain(`${Object.keys(files).length} files`);
    // Folder rows show the summed size of their files.
    const folderRow = tree.locator('.tree-row', { hasText: 'adhd_L2_hook_resid_post' }).first();
    await expect(folderRow.innerText()).resolves.toMatch(/adhd_L2_hook_resid_post\s+9\.\d\d kB/);
    expect(totalBytes).toBeGreaterThan(60_000);
    await screenshot(page, 'hub-file-tree');

    // Everything starts ticked; clear it and pick one SAE folder and two results.
    await page.getByLabel('Select all files').uncheck();
    await page.getByLabel('Select adhd_L2_hook_resid_post', { exact: true }).check();
    await page.getByLabel('Select feature_diff.json').check();
    await page.getByLabel('Select causal_nulls_per_seed.json').check();
    await expect(page.getByLabel('Select all files').evaluate((el) => (el as unknown as { indeterminate: boolean }).indeterminate)).resolves.toBe(true);
    await page.getByRole('button', { name: /^Download 4 files/ }).click();

    const download = page.locator('.download').first();
    await page.locator('.download[data-state="running"]').waitFor({ timeout: 30_000 });
    // Progress visible while running: bytes, a rate, and the file being fetched.
    await download.getByText(/\/s · ETA/).waitFor({ timeout: 30_000 });
    await download.locator(`tr[data-file="${WEIGHTS}"][data-state="downloading"]`).waitFor({ timeout: 30_000 });
    const bar = download.getByRole('progressbar', { name: /^Total progress/ });
    // The first bytes may not be counted at the instant the file shows "downloading": wait for them.
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000, interval: 50 }).toBeGreaterThan(0);
    const partial = Number(await bar.getAttribute('aria-valuenow'));
    expect(partial).toBeLessThan(100);
    await screenshot(page, 'hub-download-progress');

    await download.getByRole('button', { name: 'Pause' }).click();
    await page.locator('.download[data-state="paused"]').waitFor({ timeout: 30_000 });
    await screenshot(page, 'hub-download-paused');
    await download.getByRole('button', { name: 'Resume' }).click();
    await page.locator('.download[data-state="completed"]').waitFor({ timeout: 60_000 });

    // The Library rescans on its own and lists what arrived.
    const saes = page.getByRole('table', { name: `SAEs for ${SEED_MODEL_REPOS.adhd}` });
    await saes.waitFor({ timeout: 30_000 });
    await expect(saes.locator('tbody tr').count()).resolves.toBe(1);
    await expect(saes.innerText()).resolves.toMatch(/2\s+connaaa\/interpgpt-sae-phase5\/adhd_L2_hook_resid_post[\s\S]*topk\s+16\s+64\s+8/);
    await page.getByRole('table', { name: 'Results' }).locator('.item-name', { hasText: 'causal_nulls_per_seed.json' }).waitFor();
    await page.getByRole('button', { name: 'Open feature_diff.json' }).click();
    const diffs = page.getByRole('region', { name: 'Artifact feature_diff.json' }).getByRole('table', { name: 'top_diffs' });
    await diffs.waitFor();
    await expect(diffs.locator('tbody tr').count()).resolves.toBe(12);
    await screenshot(page, 'hub-downloaded-in-library');

    // The bytes really are in the HF cache layout, identical to the repo's.
    const snapshots = path.join(cache, `models--${SEED_SAE_REPO.replace('/', '--')}`, 'snapshots');
    const [commit] = fs.readdirSync(snapshots);
    expect(fs.readFileSync(path.join(snapshots, commit, WEIGHTS)).equals(files[WEIGHTS])).toBe(true);
    expect(fs.existsSync(path.join(snapshots, commit, 'standard_L0_hook_resid_post'))).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('cancel removes partial data or keeps it resumable, as the user chose; include globs filter the tree', async () => {
    const file = 'standard_L0_hook_resid_post/sae_weights.safetensors';
    hub.slowStream(file, 1000);
    const blobs = path.join(cache, `models--${SEED_SAE_REPO.replace('/', '--')}`, 'blobs');
    const incomplete = () => (fs.existsSync(blobs) ? fs.readdirSync(blobs).filter((f) => f.endsWith('.incomplete')) : []);
    const { page, errors } = await openApp(browser, app);
    await page.getByText('Add from Hub').click();
    const startAndCancel = async (keep: boolean) => {
      await page.getByLabel('Hub repository').fill(SEED_SAE_REPO);
      await page.getByLabel('Include globs').fill('standard_L0_hook_resid_post/*');
      await page.getByRole('button', { name: 'List files' }).click();
      await expect(page.locator('.hub-listing').innerText()).resolves.toContain('· 2 files');
      // Files finished by an earlier attempt come up cached and unticked; tick everything.
      await page.getByLabel('Select all files').check();
      await page.getByLabel('Keep partial files if cancelled (resumable)').setChecked(keep);
      await page.getByRole('button', { name: /^Download 2 files/ }).click();
      // Newest downloads are listed first; from here on, follow this one job by its id.
      const running = page.locator('.download[data-state="running"]').first();
      await running.locator(`tr[data-file="${file}"][data-state="downloading"]`).waitFor({ timeout: 30_000 });
      const jobId = await running.getAttribute('data-job-id');
      const download = page.locator(`.download[data-job-id="${jobId}"]`);
      // Cancel once bytes are on disk (so "keep" has something to keep), not after a guessed pause.
      const partial = () => incomplete().map((f) => fs.statSync(path.join(blobs, f), { throwIfNoEntry: false })?.size ?? 0);
      await expect.poll(() => partial().some((size) => size > 0), { timeout: 30_000, interval: 50 }).toBe(true);
      await download.getByRole('button', { name: 'Cancel' }).click();
      await page.locator(`.download[data-job-id="${jobId}"][data-state="cancelled"]`).waitFor({ timeout: 30_000 });
      return download;
    };

    const removed = await startAndCancel(false);
    await expect.poll(incomplete, { timeout: 10_000 }).toEqual([]);
    await expect(removed.innerText()).resolves.toContain('partial data removed');

    const kept = await startAndCancel(true);
    expect(incomplete()).toHaveLength(1);
    await expect(kept.innerText()).resolves.toContain('partial data kept: Retry continues it');
    const partialBytes = fs.statSync(path.join(blobs, incomplete()[0])).size;
    expect(partialBytes).toBeGreaterThan(0);
    await screenshot(page, 'hub-cancelled-kept');
    hub.clearFaults();
    await kept.getByRole('button', { name: 'Retry' }).click();
    await page.locator(`.download[data-job-id="${await kept.getAttribute('data-job-id')}"][data-state="completed"]`).waitFor({ timeout: 60_000 });
    // The retry continued from the kept bytes instead of starting over.
    const ranges = hub.resolveRequests(file).map((r) => r.range);
    expect(ranges.at(-1)).toMatch(/^bytes=\d+-$/);
    expect(Number(/bytes=(\d+)-/.exec(ranges.at(-1)!)![1])).toBeGreaterThan(0);
    await page.getByRole('table', { name: `SAEs for ${SEED_MODEL_REPOS.standard}` }).waitFor({ timeout: 30_000 });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('with the Settings offline switch on, listing answers from the cache and never asks the Hub', async () => {
    const { page, errors } = await openApp(browser, app);
    await page.goto(`${app.origin}/#/settings`);
    const offline = page.getByLabel('Offline mode');
    await expect(offline.isChecked()).resolves.toBe(false);
    await offline.check();
    await page.getByText('Saved: offline mode').waitFor();
    await page.getByText('Saved in settings.').waitFor();

    const before = hub.requests.length;
    await page.goto(`${app.origin}/#/library`);
    await page.getByText('Add from Hub').click();
    await page.getByLabel('Hub repository').fill(SEED_SAE_REPO);
    await page.getByRole('button', { name: 'List files' }).click();
    await page.getByText('from cache (offline)').waitFor();
    // Only what is in the cache is listed (the two SAE folders and two results fetched above), all cached.
    await expect(page.locator('.hub-listing').innerText()).resolves.toMatch(/· 6 files, [\d.]+ kB \(0 B not cached\)/);
    await page.getByLabel('Hub repository').fill('connaaa/not-downloaded');
    await page.getByRole('button', { name: 'List files' }).click();
    await page.getByRole('alert').waitFor();
    expect(hub.requests.length).toBe(before);
    await screenshot(page, 'hub-offline');

    await page.goto(`${app.origin}/#/settings`);
    await page.getByLabel('Offline mode').uncheck();
    await page.getByText('Saved: offline mode').waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });
});
