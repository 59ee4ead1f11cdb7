/**
 * The Features and Compare pages on a fresh data directory: start an index of the demo pair (both
 * models, their layer-2 SAEs) from the UI, watch both jobs finish in the Queue, find the planted
 * adhd feature by searching for the token "Step", see "Step" shaded in its top examples, open the
 * same view again by its URL; then run the step-onset condition diff on the Compare page: the
 * planted feature ranks in the top 3 with no counterpart in standard, and its row opens the pair.
 */
import { describe, expect, it } from 'vitest';
import { offlineAppPerFile, openApp, screenshot } from './harness';

const suite = offlineAppPerFile();

describe('Features page', () => {
  it('indexes the demo pair from the UI and shows the planted feature at "Step"', async () => {
    const { page, errors } = await openApp(suite.browser(), suite.app());
    await page.getByRole('navigation', { name: 'Main' }).getByText('Features', { exact: true }).click();
    // No index yet: the new-index form is open, the demo pair preselected once generated.
    const modelA = page.getByRole('combobox', { name: 'Index model A' });
    await expect.poll(() => modelA.inputValue(), { timeout: 90_000, interval: 500 }).toMatch(/models[/\\]standard$/);
    await expect(page.getByRole('combobox', { name: 'Index model B' }).inputValue()).resolves.toMatch(/models[/\\]adhd$/);
    await expect.poll(() => page.getByRole('combobox', { name: 'Index dataset' }).inputValue(), { timeout: 30_000 }).toMatch(/dataset\.jsonl$/);
    await page.getByRole('spinbutton', { name: 'Max documents' }).fill('400');
    await page.getByRole('button', { name: 'Index both models' }).click();
    await page.getByRole('status').getByText(/Queued Index standard/).waitFor();

    // Both builds in the Queue, to completion.
    await page.getByRole('navigation', { name: 'Main' }).getByText('Queue', { exact: true }).click();
    const rows = page.locator('tr[data-job-id]').filter({ hasText: 'index.build' });
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    await expect.poll(async () => (await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-state')))).join(','), { timeout: 120_000, interval: 500 }).toBe('completed,completed');

    await page.getByRole('navigation', { name: 'Main' }).getByText('Features', { exact: true }).click();
    const picker = page.getByRole('combobox', { name: 'Index', exact: true });
    const adhd = await picker.locator('option').filter({ hasText: 'demo-adhd' }).getAttribute('value');
    await picker.selectOption(adhd!);
    await page.getByRole('listbox', { name: 'Features' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search features' }).fill('Step');
    await expect.poll(() => page.locator('.list-summary').innerText(), { timeout: 10_000 }).toMatch(/match/);
    await page.getByRole('searchbox', { name: 'Search features' }).press('Enter');
    const view = page.getByRole('article', { name: 'Feature 255' });
    await view.waitFor({ timeout: 10_000 });
    const top = view.getByRole('region', { name: 'Top activations' });
    const focus = top.locator('.ctx-token.focus');
    expect(await focus.count()).toBeGreaterThanOrEqual(10);
    const texts = (await focus.allInnerTexts()).map((t) => t.trim());
    expect(new Set(texts)).toEqual(new Set(['Step']));
    const shade = await focus.first().evaluate((el) => (el as unknown as { style: { background: string } }).style.background);
    expect(shade).toContain('color-mix');
    await expect(view.getByRole('region', { name: 'Logit effects' }).innerText()).resolves.toContain('quickly');
    await view.getByRole('figure', { name: /Activation histogram/ }).locator('svg').waitFor();
    await screenshot(page, 'features-adhd-planted');
    // Copy as Python: connect to this core, then the index's table and this feature's page.
    await page.getByRole('button', { name: 'Copy as Python' }).click();
    const features = page.getByRole('dialog', { name: 'Python snippet' });
    await expect.poll(() => features.getByLabel('Python code').innerText()).toMatch(/wb = Workbench\.connect\(".+"\)\nfeatures = wb\.features\("ix-[0-9a-f]{10}"\)[^\n]*\nfeature = wb\.feature\("ix-[0-9a-f]{10}", 255\)/);
    await screenshot(page, 'features-copy-as-python');
    await page.getByRole('button', { name: 'Hide Python' }).click();

    // The URL names index and feature: the same view opens from it.
    const url = page.url();
    expect(url).toMatch(/#\/features\?.*index=ix-.*feature=255/);
    const fresh = await suite.browser().newPage({ viewport: { width: 1400, height: 900 } });
    await fresh.goto(url.replace(/#.*/, `?token=${suite.app().token}${url.slice(url.indexOf('#'))}`));
    await fresh.getByRole('article', { name: 'Feature 255' }).waitFor({ timeout: 20_000 });
    // j moves to the next feature of the list.
    await fresh.keyboard.press('j');
    await expect.poll(() => fresh.url()).not.toMatch(/feature=255(&|$)/);
    await fresh.close();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('runs the step-onset diff on the Compare page: the planted feature ranks top 3 with no counterpart', async () => {
    const truth = { planted: 255 };
    const { page, errors } = await openApp(suite.browser(), suite.app());
    await page.getByRole('navigation', { name: 'Main' }).getByText('Compare', { exact: true }).click();
    // The two indexes of the first test are preselected: standard as A, adhd as B.
    await expect.poll(async () => (await page.getByRole('combobox', { name: 'Index A' }).locator('option:checked').innerText()), { timeout: 20_000 }).toContain('demo-standard');
    await expect(page.getByRole('combobox', { name: 'Index B' }).locator('option:checked').innerText()).resolves.toContain('demo-adhd');
    await page.getByLabel('Token condition').fill('named:step-onset');
    const preview = page.getByLabel('Condition preview');
    await preview.locator('.preview-token.hit').first().waitFor({ timeout: 20_000 });
    expect(new Set((await preview.locator('.preview-token.hit').allInnerTexts()).map((t) => t.trim()))).toEqual(new Set(['Step']));
    await page.getByRole('button', { name: 'Run diff' }).click();
    const result = page.getByRole('region', { name: 'Condition diff result' });
    await result.waitFor({ timeout: 90_000 });
    const sentence = await result.locator('.diff-sentence').innerText();
    expect(sentence).toMatch(new RegExp(`^1 feature of .*demo-adhd.* fires at named:step-onset .* has no counterpart .*: #${truth.planted}\\.`));
    const ranked = await result.locator('tbody tr').evaluateAll((rows) => rows.slice(0, 3).map((r) => r.getAttribute('data-feature')));
    expect(ranked).toContain(String(truth.planted));
    await result.locator(`tbody tr[data-feature="${truth.planted}"]`).click();
    const pair = page.getByRole('region', { name: 'Selected pair' });
    await pair.getByRole('article', { name: `Feature ${truth.planted}` }).first().waitFor({ timeout: 20_000 });
    await expect(pair.locator('.pane-a article').getAttribute('data-feature')).resolves.toBe(String(truth.planted));
    await screenshot(page, 'compare-step-onset-diff');
    // Copy as Python: this diff's result by job id, and the call that runs it with the same parameters.
    await page.getByRole('button', { name: 'Copy as Python' }).click();
    const code = await page.getByRole('dialog', { name: 'Python snippet' }).getByLabel('Python code').innerText();
    expect(code).toMatch(/shown = wb\.job\("\d{8}-[0-9a-f]{8}"\)\.result\(\)/);
    expect(code).toMatch(/diff = wb\.diff\([\s\S]*condition="named:step-onset"[\s\S]*min_rate=0\.5/);
    await screenshot(page, 'compare-copy-as-python');
    await page.getByRole('button', { name: 'Hide Python' }).click();
    // The Matches tab: the score distribution and the density scatter are drawn.
    await page.getByRole('navigation', { name: 'Compare views' }).getByText('Matches').click();
    await page.getByRole('figure', { name: 'Match score distribution' }).locator('svg').first().waitFor({ timeout: 20_000 });
    await page.getByRole('figure', { name: 'Density scatter' }).locator('svg').first().waitFor();
    await screenshot(page, 'compare-matches');
    expect(errors).toEqual([]);
    await page.close();
  });
});
