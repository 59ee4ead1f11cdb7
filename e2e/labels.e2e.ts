/**
 * Labels, notes and directions in the browser (issue 17): on the demo pair, indexed beforehand,
 * label the planted feature on its dashboard (Enter saves; Undo puts back what was there), see the
 * label in the feature list, find it by label and by note text, see it in the Compare diff table,
 * in the Prompt page's feature list, in an experiment's title and verdict; compute the cosine of
 * its decoder direction with the demo's planted direction (a safetensors file) and with the same
 * feature of the other model; then apply the demo's ground truth, which only happens when asked.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoBundle, type DemoBundlePaths } from '../main/demo/demoBundle';
import { runCliCaptured } from '../main/testing/cliRun';
import { launchBrowser, openApp, screenshot, serveApp, tempHome, type ServedApp } from './harness';

let app: ServedApp;
let browser: Browser;
let demo: DemoBundlePaths;
const index: { standard: string; adhd: string } = { standard: '', adhd: '' };
const ADHD = 'sae-workbench/demo-adhd';

beforeAll(async () => {
  const home = tempHome('labels');
  demo = ensureDemoBundle(home);
  for (const which of ['standard', 'adhd'] as const) {
    const r = await runCliCaptured(['index', '--model', demo.models[which], '--sae', demo.saes[which], '--dataset', demo.dataset, '--max-documents', '120', '--device', 'cpu', '--home', home]);
    expect(r.code, r.err).toBe(0);
    index[which] = JSON.parse(r.out.trim().split('\n').pop()!).index_ids[0];
  }
  app = await serveApp({ home, env: { HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' } });
  browser = await launchBrowser();
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

async function go(page: Page, hash: string) {
  await page.evaluate((h) => ((globalThis as unknown as { location: { hash: string } }).location.hash = h), hash);
}

describe('labels, notes and directions', () => {
  it('labels a feature on its dashboard and shows the label wherever the feature is shown', async () => {
    const { page, errors } = await openApp(browser, app);
    await go(page, `#/features?index=${index.adhd}&feature=255`);
    const view = page.getByRole('article', { name: 'Feature 255' }).first();
    await view.waitFor({ timeout: 30_000 });
    const label = view.getByLabel('Feature label');
    const note = view.getByLabel('Feature note');

    // Enter saves; Undo restores exactly what was there (nothing).
    await label.fill('step onset');
    await label.press('Enter');
    await view.getByRole('heading', { level: 2 }).getByText('step onset').waitFor();
    await view.getByRole('status').getByText('Saved #255 "step onset".').waitFor();
    await view.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => view.getByRole('heading', { level: 2 }).innerText()).not.toContain('step onset');
    await expect.poll(() => label.inputValue()).toBe('');
    // Escape drops an edit; blur saves one.
    await label.fill('never saved');
    await label.press('Escape');
    await expect.poll(() => label.inputValue()).toBe('');
    await label.fill('step onset');
    await note.fill('Fires only at "Step" in adhd; no counterpart in standard (found by the diff).');
    await view.getByRole('heading', { level: 2 }).click();
    await view.getByRole('status').getByText('Saved #255 "step onset".').waitFor();
    await expect.poll(() => view.getByRole('heading', { level: 2 }).innerText()).toContain('step onset');

    // The feature list: search by label text, then by note text.
    const search = page.getByRole('searchbox', { name: 'Search features' });
    const list = page.getByRole('listbox', { name: 'Features' });
    await search.fill('onset');
    await expect.poll(() => page.locator('.list-summary').innerText(), { timeout: 10_000 }).toMatch(/^1 match for “onset”/);
    await expect(list.locator('[data-feature="255"]').innerText()).resolves.toContain('step onset');
    await search.fill('found by the diff');
    await expect.poll(() => page.locator('.list-summary').innerText(), { timeout: 10_000 }).toMatch(/^1 match for “found by the diff”/);
    await expect(list.locator('[data-feature]').first().getAttribute('data-feature')).resolves.toBe('255');
    await search.fill('');

    // Directions: the planted direction of the demo (a safetensors file) is feature 255's decoder row.
    const direction = view.getByRole('region', { name: 'Decoder direction' });
    await direction.getByLabel('Compare the direction with').selectOption('file');
    await direction.getByLabel('Vector file').fill(demo.plantedDirection);
    await direction.getByLabel('Tensor name').fill('direction');
    await direction.getByRole('button', { name: 'Cosine' }).click();
    await expect.poll(() => direction.locator('.cosine-value').first().innerText(), { timeout: 10_000 }).toBe('cos = 1.0000');
    // Without the tensor name the file's two vectors are named in the error.
    await direction.getByLabel('Tensor name').fill('');
    await direction.getByRole('button', { name: 'Cosine' }).click();
    await direction.getByRole('alert').getByText(/holds several 1-D tensors \(direction \[64\], step_identity \[64\]\)/).waitFor();
    await direction.getByRole('button', { name: 'Dismiss' }).click();
    // The same feature in the other model, side by side: its cosine with this one.
    await view.getByRole('combobox', { name: 'Compare with index' }).selectOption(index.standard);
    await page.getByRole('spinbutton', { name: 'Feature of the other index' }).fill('255');
    const pair = direction.getByLabel('Cosine with the feature beside it');
    await expect.poll(() => pair.locator('.cosine-value').innerText(), { timeout: 15_000 }).toMatch(/^cos = -?0\.\d{4}$/);
    await screenshot(page, 'labels-dashboard');
    await page.getByRole('button', { name: 'Close the second pane' }).click();

    // Compare: the diff row of the planted feature carries its label.
    await page.getByRole('navigation', { name: 'Main' }).getByText('Compare', { exact: true }).click();
    await expect.poll(async () => page.getByRole('combobox', { name: 'Index B' }).locator('option:checked').innerText(), { timeout: 20_000 }).toContain('demo-adhd');
    await page.getByLabel('Token condition').fill('named:step-onset');
    await page.getByRole('button', { name: 'Run diff' }).click();
    const result = page.getByRole('region', { name: 'Condition diff result' });
    await result.waitFor({ timeout: 120_000 });
    await expect(result.locator('tbody tr[data-feature="255"]').innerText()).resolves.toContain('step onset');
    await screenshot(page, 'labels-compare');

    // Prompt: the user's label, where before it said nothing.
    await go(page, '#/prompt');
    const strip = page.getByRole('group', { name: `Tokens of ${ADHD}` });
    await strip.waitFor({ timeout: 60_000 });
    const tokens = (await strip.locator('.prompt-token').allInnerTexts()).map((t) => t.trim());
    await strip.locator('.prompt-token').nth(tokens.indexOf('Step')).hover();
    const features = page.getByLabel(`Features of token ${tokens.indexOf('Step')} in ${ADHD}`);
    await expect.poll(async () => (await features.locator('tbody tr').first().innerText()).split('\t').map((s) => s.trim()).slice(0, 2), { timeout: 10_000 }).toEqual(['#255', 'step onset']);

    // An experiment: its title (Queue, result header) and its verdict name the label.
    await go(page, `#/experiments?${new URLSearchParams({ new: 'ablate', model: demo.models.adhd, sae: demo.saes.adhd, features: '255', dataset: demo.dataset, condition: 'token-regex:^Step$', metric: 'logit:quickly' })}`);
    const form = page.getByRole('group', { name: 'New experiment' });
    await expect.poll(() => form.getByLabel('Features').inputValue()).toBe('255');
    await form.getByLabel('Documents', { exact: true }).fill('12');
    await form.getByLabel('Null seeds').fill('2');
    await form.getByLabel('Random sets per seed').fill('2');
    await form.getByLabel('Device').selectOption('cpu');
    await form.getByRole('button', { name: 'Run experiment' }).click();
    const ablation = page.getByRole('article', { name: 'Ablation result' });
    await ablation.waitFor({ timeout: 90_000 });
    await expect(ablation.getByRole('note', { name: 'Verdict' }).innerText()).resolves.toMatch(/^Zero-ablating feature #255 "step onset" in .* changes /);
    await expect(page.getByRole('navigation', { name: 'Experiment results' }).innerText()).resolves.toContain('Ablate feature #255 "step onset" of');
    await screenshot(page, 'labels-experiment');
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it("applies the demo's ground truth only when asked, after a confirmation", async () => {
    const { page, errors } = await openApp(browser, app);
    await go(page, `#/features?index=${index.standard}&feature=3`);
    await page.getByRole('article', { name: 'Feature 3' }).first().waitFor({ timeout: 30_000 });
    const list = page.getByRole('listbox', { name: 'Features' });
    await list.locator('[data-feature]').first().waitFor();
    expect(await list.locator('.feature-label-tag').count()).toBe(0);
    await page.getByRole('button', { name: "Apply the demo's ground-truth labels…" }).click();
    await page.getByText('it gives away the answer the demo asks you to find').waitFor();
    await page.getByRole('button', { name: 'Apply the labels' }).click();
    await page.getByRole('status').getByText(/^Applied: 512 labels set/).waitFor({ timeout: 15_000 });
    await expect.poll(() => list.locator('.feature-label-tag').count(), { timeout: 10_000 }).toBeGreaterThan(5);
    await expect.poll(() => page.getByRole('article', { name: 'Feature 3' }).first().getByRole('heading', { level: 2 }).innerText()).toMatch(/^Feature #3\s*token /);
    await screenshot(page, 'labels-demo-truth');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
