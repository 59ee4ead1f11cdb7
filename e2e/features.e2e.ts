/**
 * The Features and Compare pages on a fresh data directory: start an index of the demo pair (both
 * models, their layer-2 SAEs) from the UI, watch both jobs finish in the Queue, find the planted
 * adhd feature by searching for the token "Step", see "Step" shaded in its top examples, open the
 * same view again by its URL; then run the step-onset condition diff on the Compare page: the
 * planted feature ranks first with no counterpart in standard, and its row opens the pair.
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
    await page.getByRole('status').getByText(/Queued Index \S*standard/).waitFor();

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

  it('runs the step-onset diff on the Compare page: the planted feature ranks first with no counterpart', async () => {
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
    // Tied at the asymmetry floor with a context feature both SAEs share (it reads part of d): no counterpart ranks first,
    // and the "why" column says what makes the matched one differ.
    const ranked = await result.locator('tbody tr').evaluateAll((rows) => rows.slice(0, 2).map((r) => [r.getAttribute('data-feature'), r.querySelector('td.diff-why')?.textContent]));
    expect(ranked[0]).toEqual([String(truth.planted), 'no counterpart']);
    expect(ranked[1][1]).toBe('input differs');
    await result.locator(`tbody tr[data-feature="${truth.planted}"]`).click();
    const pair = page.getByRole('region', { name: 'Selected pair' });
    await pair.getByRole('article', { name: `Feature ${truth.planted}` }).first().waitFor({ timeout: 20_000 });
    await expect(pair.locator('.pane-a article').getAttribute('data-feature')).resolves.toBe(String(truth.planted));
    await screenshot(page, 'compare-step-onset-diff');
    const diffUrl = new URL(page.url());
    const diffId = new URLSearchParams(diffUrl.hash.split('?')[1]).get('diff');
    expect(diffId).toMatch(/^\d{8}-/);

    // Issue 17: leaving Compare and coming back from the sidebar lost the diff.
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByText('Features', { exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Features' }).waitFor();
    await nav.getByText('Compare', { exact: true }).click();
    await result.locator(`tbody tr[data-feature="${truth.planted}"]`).waitFor({ timeout: 20_000 });
    expect(new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('diff')).toBe(diffId);
    // ... and each rerun queued an identical job: the finished one answers, nothing is queued.
    await page.getByRole('button', { name: 'Run diff' }).click();
    await page.getByRole('status').filter({ hasText: 'nothing was queued' }).waitFor({ timeout: 10_000 });
    expect(new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('diff')).toBe(diffId);
    await nav.getByText('Queue', { exact: true }).click();
    await page.locator('tr[data-job-id]').first().waitFor();
    await expect(page.locator('tr[data-job-id]').filter({ hasText: 'compare.diff' }).count()).resolves.toBe(1);
    await page.goBack();

    // Copy as Python: this diff's result by job id, and the call that runs it with the same parameters.
    await page.getByRole('button', { name: 'Copy as Python' }).click();
    const code = await page.getByRole('dialog', { name: 'Python snippet' }).getByLabel('Python code').innerText();
    expect(code).toMatch(/shown = wb\.job\("\d{8}-[0-9a-f]{8}"\)\.result\(\)/);
    expect(code).toMatch(/diff = wb\.diff\([\s\S]*condition="named:step-onset"[\s\S]*min_rate=0\.5/);
    await screenshot(page, 'compare-copy-as-python');
    await page.getByRole('button', { name: 'Hide Python' }).click();
    // The Matches tab: the score distribution and the density scatter are drawn.
    await page.getByRole('navigation', { name: 'Compare views' }).getByText('Matches').click();
    const histogram = page.getByRole('figure', { name: 'Match score distribution' });
    await histogram.locator('svg').first().waitFor({ timeout: 20_000 });
    await page.getByRole('figure', { name: 'Density scatter' }).locator('svg').first().waitFor();
    // Issue 17: the bar of scores near 1.0 drew past the axis' end; every bar now ends by the tick "1.0".
    const overhang = await histogram.evaluate((fig) => {
      const svg = fig.querySelector('svg')!;
      const one = [...svg.querySelectorAll('text')].find((t) => t.textContent?.trim() === '1.0')!.getBoundingClientRect();
      const ends = [...svg.querySelectorAll('rect')].map((r) => r.getBoundingClientRect()).filter((r) => r.width > 0).map((r) => r.right);
      return Math.max(...ends) - (one.left + one.width / 2);
    });
    expect(overhang).toBeLessThanOrEqual(1);
    // ... and the feature with no counterpart was invisible: the tile counts it and lists it.
    const tile = page.getByRole('group', { name: 'No counterpart' });
    expect(Number(await tile.locator('.no-counterpart-count').innerText())).toBeGreaterThanOrEqual(1);
    await tile.getByRole('button', { name: `#${truth.planted}`, exact: true }).waitFor();
    await tile.getByRole('button', { name: 'List them' }).click();
    await expect(page.getByRole('checkbox', { name: 'Unmatched only' }).isChecked()).resolves.toBe(true);
    await page.locator(`.match-table [data-feature="${truth.planted}"]`).waitFor();
    await tile.getByRole('button', { name: `#${truth.planted}`, exact: true }).click();
    await pair.getByRole('article', { name: `Feature ${truth.planted}` }).first().waitFor({ timeout: 20_000 });
    await screenshot(page, 'compare-matches');

    // Outside diff: it says what it reads, and the demo's ground truth (no table) is refused with the reason.
    await page.getByRole('navigation', { name: 'Compare views' }).getByText('Outside diff').click();
    const overlay = page.getByRole('region', { name: 'Outside diff overlay' });
    await expect(overlay.locator('.overlay-explain').innerText()).resolves.toContain('integer feature id');
    const artifact = overlay.getByRole('combobox', { name: 'Artifact' });
    const truthFile = await artifact.locator('option').filter({ hasText: 'ground_truth.json' }).getAttribute('value');
    await artifact.selectOption(truthFile!);
    const refusal = overlay.getByRole('alert');
    await refusal.waitFor({ timeout: 10_000 });
    const why = await refusal.innerText();
    expect(why).toContain('ground_truth.json has no table of feature records');
    expect(why).toMatch(/It holds an object with \d+ keys: .*direction \(list of \d+ numbers\)/);
    expect(why).toContain(`adhdSaePlantedFeature = ${truth.planted}`);
    await screenshot(page, 'compare-outside-diff-refused');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens "Side by side with..." on the matched feature, beside the first pane at 1024 px', async () => {
    const { page, errors } = await openApp(suite.browser(), suite.app());
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.getByRole('navigation', { name: 'Main' }).getByText('Compare', { exact: true }).click();
    await page.getByRole('navigation', { name: 'Compare views' }).getByText('Matches').click();
    const a = await page.getByRole('combobox', { name: 'Index A' }).inputValue();
    const b = await page.getByRole('combobox', { name: 'Index B' }).inputValue();
    // A B feature with a counterpart: the top row by score.
    await page.getByRole('checkbox', { name: 'Unmatched only' }).setChecked(false);
    const top = page.locator('.match-table [role=row][data-feature]').first();
    await top.waitFor({ timeout: 20_000 });
    const feature = Number(await top.getAttribute('data-feature'));
    const partner = Number((await top.locator('span').nth(2).innerText()).replace('#', ''));
    expect(Number.isInteger(partner)).toBe(true);

    await page.goto(`${suite.app().origin}/#/features?index=${b}&feature=${feature}`);
    await page.getByRole('article', { name: `Feature ${feature}` }).waitFor({ timeout: 20_000 });
    // Issue 17: the list's two numbers had no headers, and "hide dense" wrapped alone.
    const columns = page.getByLabel('Feature list columns');
    await expect(columns.innerText()).resolves.toMatch(/Feature\s+Density ▼\s+Max act\./i);
    await columns.getByRole('button', { name: /^Max act/ }).click();
    await expect.poll(() => new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('sort')).toBe('max');
    await expect(page.getByRole('combobox', { name: 'Sort features' }).inputValue()).resolves.toBe('max');
    const dead = (await page.getByRole('checkbox', { name: 'hide dead' }).boundingBox())!;
    const dense = (await page.getByRole('checkbox', { name: 'hide dense' }).boundingBox())!;
    expect(Math.abs(dense.y - dead.y)).toBeLessThan(4);
    const side = page.getByRole('combobox', { name: 'Compare with index' });
    await side.selectOption(a);
    const pane = page.locator('.other-pane');
    await pane.getByRole('article', { name: `Feature ${partner}` }).waitFor({ timeout: 20_000 });
    const suggestions = pane.getByLabel('Suggested features');
    await expect(suggestions.innerText()).resolves.toMatch(new RegExp(`#${partner} best match, (Pearson|cosine) \\d\\.\\d\\d${partner === feature ? ', same id' : ''}`));
    if (partner !== feature) await expect(suggestions.innerText()).resolves.toContain(`#${feature} same id`);
    // Beside the first pane, not under it.
    const first = (await page.locator('.feature-panes > .feature-view').boundingBox())!;
    const second = (await pane.boundingBox())!;
    expect(second.x).toBeGreaterThan(first.x + first.width - 1);
    expect(Math.abs(second.y - first.y)).toBeLessThan(80);
    await screenshot(page, 'features-side-by-side-1024');
    // Another feature typed in; the suggestion brings the match back.
    const elsewhere = partner === 0 ? 1 : 0;
    await pane.getByRole('spinbutton', { name: 'Feature of the other index' }).fill(String(elsewhere));
    await pane.getByRole('article', { name: `Feature ${elsewhere}` }).waitFor({ timeout: 20_000 });
    await suggestions.getByRole('button', { name: new RegExp(`^#${partner} best match`) }).click();
    await pane.getByRole('article', { name: `Feature ${partner}` }).waitFor({ timeout: 20_000 });
    expect(errors).toEqual([]);
    await page.close();
  });
});
