/**
 * Crosscoders from the UI on the demo pair (issue 19): train one from the Training page's preset
 * (per-model FVE curves), open it on the Compare page's Crosscoder tab, analyse it (the Δnorm
 * histogram), build its index and click into the latent that leans furthest to model B: its page
 * fires at "Step" and shows both decoders. The demo has no B-only latent (its planted direction
 * comes with every "Step", so the crosscoder keeps it in a Step latent that leans to B): the B-only
 * band says so, and the e2e clicks the top of the band next to it.
 */
import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoBundleDir } from '../main/demo/demoBundle';
import { sharedDemoBundle } from '../main/train/testing/demoFixture';
import { launchBrowser, openApp, pageSettled, screenshot, serveApp, tempHome, type ServedApp } from './harness';

let app: ServedApp;
let browser: Browser;

beforeAll(async () => {
  const home = tempHome('crosscoder');
  fs.cpSync(sharedDemoBundle().root, demoBundleDir(home), { recursive: true });
  app = await serveApp({ home, env: { HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('Crosscoders in the UI', () => {
  it('trains a crosscoder from the Training page, shows its Δnorm histogram on Compare and opens a B-leaning latent firing at Step', { timeout: 600_000 }, async () => {
    const { page, errors } = await openApp(browser, app);
    await page.goto(`${app.url}#/training?crosscoder=1`);
    const form = page.getByLabel('New crosscoder');
    await form.getByRole('button', { name: 'Demo pair · layer 2' }).click({ timeout: 60_000 });
    await expect(form.getByRole('combobox', { name: 'Model A' }).inputValue()).resolves.toMatch(/models[/\\]standard$/);
    await expect(form.getByRole('combobox', { name: 'Model B' }).inputValue()).resolves.toMatch(/models[/\\]adhd$/);
    await expect(form.getByRole('combobox', { name: 'Hook A' }).inputValue()).resolves.toBe('blocks.2.hook_resid_post');
    await form.getByRole('combobox', { name: 'Crosscoder device' }).selectOption('cpu');
    await expect(form.innerText()).resolves.toContain("It must share model A's tokenizer");
    await screenshot(page, 'crosscoder-form');
    const runOf = (url: URL) => new URLSearchParams(url.hash.split('?')[1] ?? '').get('ccRun');
    await form.getByRole('button', { name: 'Train crosscoder' }).click();
    await page.waitForURL((url) => runOf(url) !== null);
    const job = runOf(new URL(page.url()))!;

    const run = page.getByRole('region', { name: 'Crosscoder run' });
    await run.getByRole('figure', { name: 'FVE of model B (crosscoder) chart' }).locator('g[aria-label="line"] path').first().waitFor({ timeout: 240_000 });
    await page.locator(`tr[data-job-id="${job}"][data-state="completed"]`).waitFor({ timeout: 300_000 });
    const figures = run.getByLabel('Crosscoder held-out figures');
    await figures.waitFor();
    const text = await figures.innerText();
    const fve = [...text.matchAll(/FVE model [AB] \(held out\)\s+([\d.]+)/gi)].map((m) => Number(m[1]));
    expect(fve).toHaveLength(2);
    for (const v of fve) expect(v).toBeGreaterThan(0.9);
    await pageSettled(page);
    await run.scrollIntoViewIfNeeded();
    await screenshot(page, 'crosscoder-training-run');

    // On to Compare: analyse, then the three-peak plot.
    await run.getByRole('link', { name: 'Analyse on Compare' }).click();
    await page.getByRole('button', { name: 'Analyse', exact: true }).click({ timeout: 30_000 });
    const histogram = page.getByRole('figure', { name: 'Δnorm histogram' });
    await histogram.locator('rect').first().waitFor({ timeout: 180_000 });
    const tiles = await page.getByRole('group', { name: 'Crosscoder bands' }).innerText();
    expect(tiles).toMatch(/\d+ live of 128/);
    // The B-only band first: empty on the demo, and it says so.
    await expect(page.getByLabel('Crosscoder latents').count().then(async (n) => (n === 0 ? (await page.getByText('No latent in this band.').count()) > 0 : true))).resolves.toBe(true);
    await pageSettled(page);
    await screenshot(page, 'crosscoder-compare-histogram');

    // Its index, then the latent leaning furthest to B.
    await page.getByRole('button', { name: "Build the crosscoder's index" }).click();
    await page.getByRole('combobox', { name: 'Condition diff to compare with' }).waitFor({ timeout: 240_000 });
    await page.getByRole('button', { name: 'Leaning to B (Δnorm > 0.6)' }).click();
    const rows = page.getByLabel('Crosscoder latents').locator('tbody tr');
    await rows.first().waitFor();
    const dn = Number(await rows.first().locator('td').nth(1).innerText());
    expect(dn).toBeGreaterThan(0.6);
    await rows.first().click();
    const latentView = page.getByRole('region', { name: 'Crosscoder latent', exact: true });
    const decoders = latentView.getByLabel('Crosscoder decoders');
    await decoders.waitFor({ timeout: 60_000 });
    await expect(decoders.innerText()).resolves.toMatch(/Δnorm\s+0\.\d+\s+leans to B/i);
    const focus = await latentView.locator('.example-row').first().innerText();
    expect(focus).toContain('Step');
    const logits = await latentView.getByLabel('Logit effects').innerText();
    expect(logits).toMatch(/Model B's decoder/i);
    expect(logits).toMatch(/Model A's decoder/i);
    await pageSettled(page);
    await latentView.scrollIntoViewIfNeeded();
    await screenshot(page, 'crosscoder-latent-page');

    // Bands are editable: narrower ones run the analysis again, and the latents leaning to B become the B-only band.
    await page.getByText(/^Bands: A-only ≤ 0\.1/).click();
    await page.getByLabel('Band: Shared to').fill('0.55');
    await page.getByLabel('Band: B-only from').fill('0.5');
    await expect(page.getByText('The bands must not overlap').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Analyse with these bands' }).isDisabled()).resolves.toBe(true);
    await page.getByLabel('Band: B-only from').fill('0.6');
    await page.getByRole('button', { name: 'Analyse with these bands' }).click();
    const bOnlyTab = page.getByRole('button', { name: 'B-only (Δnorm ≥ 0.6)' });
    await bOnlyTab.waitFor({ timeout: 180_000 });
    await bOnlyTab.click();
    const bOnlyRows = page.getByLabel('Crosscoder latents').locator('tbody tr');
    await bOnlyRows.first().waitFor();
    expect(await bOnlyRows.count()).toBeGreaterThan(0);
    for (const dnText of await bOnlyRows.locator('td:nth-child(2)').allInnerTexts()) expect(Number(dnText)).toBeGreaterThanOrEqual(0.6);
    await expect(page.getByRole('group', { name: 'Crosscoder bands' }).innerText()).resolves.toMatch(/[1-9]\d*\s*B-only/);
    await pageSettled(page);
    await screenshot(page, 'crosscoder-edited-bands');
    expect(errors).toEqual([]);
    await page.close();
  });
});
