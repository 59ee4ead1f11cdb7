/**
 * Experiments in the browser on the demo bundle (the acceptance of the causal experiments):
 * ablating the planted adhd feature moves the logit of "quickly" at "Step" further than every
 * random feature of matched density, and the verdict says so in its parts (effect, p-value among
 * single draws, 2-SEM test, equivalence margin); the four-panel steering of the planted direction
 * raises standard's logit to near adhd's, its panels told apart in the form and in the job title,
 * and projecting the direction out of standard is "no measurable effect"; swapping the planted
 * latent from adhd into standard (the form's default roles) carries the difference; a step-onset
 * probe on adhd's SAE latents beats the majority baseline, with a row switched to standard's hook
 * activations; the seed's result files open beside them. Started from the page's URL (as the
 * Features page links to it) and the form; results exported as JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AblateArtifact, ProbeArtifact, SteerArtifact, SwapArtifact } from '../preload/api';
import { ensureDemoBundle, type DemoBundlePaths } from '../main/demo/demoBundle';
import { seedArtifacts } from '../main/library/testing/seedRepoFixture';
import { runCliCaptured } from '../main/testing/cliRun';
import { cutSelects } from './cutText';
import { e2eOutput, launchBrowser, openApp, screenshot, serveApp, tempHome, type ServedApp } from './harness';

let app: ServedApp;
let browser: Browser;
let demo: DemoBundlePaths;

beforeAll(async () => {
  const home = tempHome('experiments');
  demo = ensureDemoBundle(home);
  const results = path.join(home, 'seed-results');
  fs.mkdirSync(results);
  for (const [name, value] of Object.entries(seedArtifacts(5))) fs.writeFileSync(path.join(results, name), JSON.stringify(value, null, 2));
  const added = await runCliCaptured(['library', 'add', results, '--home', home]);
  expect(added.code).toBe(0);
  app = await serveApp({ home, env: { HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' } });
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

/** Fill the shared fields small enough for CI: 40 documents, 3 seeds x 3 random sets, CPU. */
async function smallRun(page: Page) {
  const form = page.getByRole('group', { name: 'New experiment' });
  await form.getByLabel('Documents', { exact: true }).fill('40');
  if (await form.getByLabel('Null seeds').count()) {
    await form.getByLabel('Null seeds').fill('3');
    await form.getByLabel('Random sets per seed').fill('3');
  }
  await form.getByLabel('Device').selectOption('cpu');
  await form.getByRole('button', { name: 'Run experiment' }).click();
}

async function exportJson<T>(page: Page, result: ReturnType<Page['getByRole']>): Promise<T> {
  const [download] = await Promise.all([page.waitForEvent('download'), result.getByRole('button', { name: 'Export JSON' }).click()]);
  const file = path.join(e2eOutput, download.suggestedFilename());
  fs.mkdirSync(e2eOutput, { recursive: true });
  await download.saveAs(file);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Follow an in-app link (what a click on the Features page's "ablate" does). */
async function go(page: Page, hash: string) {
  await page.evaluate((h) => ((globalThis as unknown as { location: { hash: string } }).location.hash = h), hash);
}

function link(params: Record<string, string>): string {
  return `#/experiments?${new URLSearchParams(params).toString()}`;
}

describe('Experiments page', () => {
  it('ablates the planted feature far outside its null, steers standard to adhd, probes step onsets, and opens the seed files', async () => {
    const { page, errors } = await openApp(browser, app);
    const common = { dataset: demo.dataset, condition: 'token-regex:^Step$', metric: 'logit:quickly' };

    // 1. Ablation, opened by URL as the Features page links to it.
    await go(page, link({ new: 'ablate', model: demo.models.adhd, sae: demo.saes.adhd, features: '255', ...common }));
    const form = page.getByRole('group', { name: 'New experiment' });
    await expect.poll(() => form.getByLabel('Features').inputValue()).toBe('255');
    await expect(form.getByLabel('Condition (scored positions)').inputValue()).resolves.toBe('token-regex:^Step$');
    await form.getByLabel('Equivalence margin').fill('0.025');
    await smallRun(page);
    const ablation = page.getByRole('article', { name: 'Ablation result' });
    await ablation.waitFor({ timeout: 60_000 });
    // The verdict's parts: the effect in the metric's units, its place among the 9 single draws (p = 1/10),
    // the 2-SEM test with its numbers, and the equivalence margin.
    const verdict = await ablation.getByRole('note', { name: 'Verdict' }).innerText();
    expect(verdict).toMatch(/^Zero-ablating feature #255 in sae-workbench\/demo-adhd changes the logit of "quickly" at token-regex:\^Step\$ by -\d\.\d\d: /);
    expect(verdict).toContain(': a larger decrease than all 9 random draws, which move it by ');
    expect(verdict).toContain('(p = 0.10, the least 9 draws allow)');
    expect(verdict).toMatch(/; 2-SEM test: \d\.\d\d from the null mean \S+ ± \S+ SEM \(3 seeds × 3 draws\), outside 2 SEM \(z = (\S+) in sds of the per-seed means\); outside the ±0\.0250 equivalence margin/);
    await expect(ablation.getByRole('note', { name: 'Verdict' }).getAttribute('data-reading')).resolves.toBe('beyond-all');
    // The tiles are written by the same formatter as the sentence: the z tile is the z of the verdict.
    const tile = (name: string) => ablation.locator('.result-numbers div').filter({ has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd').innerText();
    expect(verdict).toContain(`(z = ${await tile('z')} in sds`);
    expect(verdict).toContain(`by ${await tile('effect')}: `);
    await expect(tile('p \\(single draws\\)')).resolves.toBe('0.10');
    await expect(tile('margin ±0\\.0250')).resolves.toBe('outside');
    expect(await tile('ablated')).toMatch(/^\d\.\d\d$/);
    await ablation.getByRole('figure', { name: 'Effect against the null band' }).locator('svg').first().waitFor();
    const a = await exportJson<AblateArtifact>(page, ablation);
    expect(a.params).toMatchObject({ features: [255], maxDocuments: 40, seeds: 3, drawsPerSeed: 3, metric: 'logit:quickly', margin: 0.025 });
    expect([a.result.pValue, a.result.withinMargin, a.result.reading]).toEqual([0.1, false, 'beyond-all']);
    expect(a.clean).toBeGreaterThan(8.5);
    expect(a.result.effect).toBeLessThan(-5);
    // Random features of matched density barely move it: the whole null is within 0.1 of zero.
    expect(Math.abs(a.result.null!.mean!)).toBeLessThan(0.1);
    expect(Math.max(...a.result.null!.draws.flatMap((d) => d.effects.map(Math.abs)))).toBeLessThan(0.5);
    expect(a.result.null!.seeds).toHaveLength(3);
    await screenshot(page, 'experiments-ablation');
    // Copy as Python: this result by job id, and the same ablation with every recorded parameter.
    await page.getByRole('button', { name: 'Copy as Python' }).click();
    const snippet = await page.getByRole('dialog', { name: 'Python snippet' }).getByLabel('Python code').innerText();
    expect(snippet).toMatch(/job = wb\.job\("\d{8}-[0-9a-f]{8}"\)/);
    expect(snippet).toMatch(/again = wb\.ablate\([\s\S]*features=\[255\][\s\S]*draws=3[\s\S]*null_seed=0/);
    await screenshot(page, 'experiments-copy-as-python');
    await page.getByRole('button', { name: 'Hide Python' }).click();

    // 2. Four-panel steering: {adhd, standard} x {amplify, ablate}, the planted direction carried to standard.
    await go(page, link({ new: 'steer', model: demo.models.adhd, sae: demo.saes.adhd, features: '255', modelB: demo.models.standard, ...common }));
    await expect.poll(() => form.getByLabel('Panel 1 feature').inputValue()).toBe('255');
    // On a loaded machine the form can still be settling from the link when the first click lands
    // (seen once in a full e2e run); a click that took shows four panels, so click until it has.
    const fourPanels = form.getByRole('button', { name: 'Four panels: both models × amplify / ablate' });
    await expect.poll(async () => {
      if ((await form.getByLabel('Panel 4 intervention').count()) === 0) await fourPanels.click();
      return form.getByLabel('Panel 4 intervention').count();
    }, { timeout: 30_000, interval: 1000 }).toBe(1);
    await expect(form.getByLabel('Panel 4 intervention').inputValue()).resolves.toBe('replace');
    // Four panels told apart at a glance: each says its model, feature, intervention and where the direction comes from,
    // and no Model/SAE select is cut at 1400 px.
    const summaries = await form.locator('.panel-summary').allInnerTexts();
    expect(summaries).toEqual([
      '1. sae-workbench/demo-adhd · #255 add',
      '2. sae-workbench/demo-adhd · #255 ablate',
      '3. sae-workbench/demo-standard · #255 add · direction from sae-workbench/demo-adhd',
      '4. sae-workbench/demo-standard · #255 replace · direction from sae-workbench/demo-adhd',
    ]);
    expect(await cutSelects(page, '.panel-card select')).toEqual([]);
    await form.getByLabel('Steer at').selectOption('condition');
    await form.getByLabel('Prompt (generate text with and without)').fill('How to make tea. Step 1: Boil the water. Step');
    await form.getByLabel('Temperature').fill('0');
    await form.getByLabel('New tokens').fill('6');
    // Opening an earlier result while composing keeps the form as edited (the prefill leaves the URL, the edits stay).
    await page.getByRole('navigation', { name: 'Experiment results' }).locator('[data-state="completed"]').first().click();
    await page.getByRole('article', { name: 'Ablation result' }).waitFor();
    await expect(form.getByLabel('Panel 4 intervention').inputValue()).resolves.toBe('replace');
    await expect(form.getByLabel('New tokens').inputValue()).resolves.toBe('6');
    await screenshot(page, 'experiments-steer-form');
    await smallRun(page);
    const steering = page.getByRole('article', { name: 'Steering result' });
    await steering.waitFor({ timeout: 90_000 });
    await expect(steering.locator('section[aria-label^="Panel "]').count()).resolves.toBe(4);
    // The job's title names the models, grouped: the four panels are told apart in the list too.
    const steerTitle = await page.getByRole('navigation', { name: 'Experiment results' }).locator('[data-state="completed"] .title').first().innerText();
    expect(steerTitle).toBe('Steer sae-workbench/demo-adhd: #255 add, #255 ablate · sae-workbench/demo-standard: #255 add (carried), #255 replace (carried) · logit:quickly');
    // Projecting the planted direction out of standard (which never writes it) is no measurable effect,
    // however far random directions move the metric.
    const projectedVerdict = steering.getByRole('note', { name: 'Verdict' }).nth(3);
    await expect(projectedVerdict.getAttribute('data-reading')).resolves.toBe('no-effect');
    expect(await projectedVerdict.innerText()).toMatch(/ by -?[\d.e-]+: no measurable effect \(the metric's float32 resolution here is ±\S+\); random features of matched density /);
    const s = await exportJson<SteerArtifact>(page, steering);
    const [amplify, ablate, carried, projected] = s.panels;
    expect(amplify.carried).toBe(false);
    expect(carried.carried).toBe(true);
    expect(carried.clean).toBeLessThan(1);
    // Standard steered along the planted direction (default strength: the feature's max) lands near adhd's 9.19.
    expect(carried.points[0].steered).toBeGreaterThan(8);
    expect(carried.points[0].outsideNull).toBe(true);
    // Yet single random directions of the same strength move this logit as far (token features that predict
    // "quickly"): the p-value among single draws, recomputed from them, is what the verdict reads.
    for (const panel of s.panels) {
      const pt = panel.points[0];
      const draws = pt.null!.draws.flatMap((d) => d.effects);
      const m = draws.reduce((x, v) => x + v, 0) / draws.length;
      expect(pt.pValue).toBe((1 + draws.filter((v) => Math.abs(v - m) >= Math.abs(pt.effect - m)).length) / (draws.length + 1));
    }
    expect(ablate.points[0].reading).toBe('beyond-all');
    expect(projected.points[0].reading).toBe('no-effect');
    expect(Math.abs(projected.points[0].effect)).toBeLessThanOrEqual(projected.points[0].resolution);
    expect(ablate.points[0].effect).toBeLessThan(-5);
    expect(projected.points[0].effect).toBeCloseTo(0, 1);
    expect(carried.generation!.steered).toMatch(/^quickly/);
    expect(carried.generation!.clean).not.toMatch(/^quickly/);
    await expect(steering.getByLabel('Generated text of panel 3').innerText()).resolves.toContain('quickly');
    await screenshot(page, 'experiments-steering-four-panels');
    // At 1024 px the four panels stay a 2 x 2 grid, not one long column.
    await page.setViewportSize({ width: 1024, height: 768 });
    const boxes = await steering.locator('section[aria-label^="Panel "]').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => [Math.round(r.left), Math.round(r.top)]));
    expect(boxes[1][0]).toBeGreaterThan(boxes[0][0] + 200);
    expect(boxes[1][1]).toBe(boxes[0][1]);
    expect(boxes[2][0]).toBe(boxes[0][0]);
    await screenshot(page, 'experiments-steering-four-panels-1024');
    await page.setViewportSize({ width: 1400, height: 900 });

    // 3. Swap, from the form's own defaults: A is the baseline (standard), B is swapped in (adhd, with its SAE).
    await form.getByRole('group', { name: 'Experiment kind' }).getByRole('button', { name: 'Swap' }).click();
    const selected = (label: string) => form.getByLabel(label, { exact: true }).locator('option:checked').innerText();
    await expect(selected('Model A (baseline, runs to the hook)')).resolves.toBe('sae-workbench/demo-standard');
    await expect(selected('Model B (swapped in)')).resolves.toBe('sae-workbench/demo-adhd');
    await expect(selected("B's SAE")).resolves.toContain('demo-adhd');
    await form.getByLabel('Latents to swap').fill('255');
    await smallRun(page);
    const swap = page.getByRole('article', { name: 'Swap result' });
    await swap.waitFor({ timeout: 60_000 });
    const swapVerdict = await swap.getByRole('note', { name: 'Verdict' }).innerText();
    expect(swapVerdict).toMatch(/^Swapping feature #255 of sae-workbench\/demo-adhd's SAE into sae-workbench\/demo-standard changes the logit of "quickly" at token-regex:\^Step\$ by \d+\.\d+: larger than all 9 random draws/);
    expect(swapVerdict).toMatch(/ of the way from sae-workbench\/demo-standard \(\S+\) to sae-workbench\/demo-adhd \(\S+\)/);
    const w = await exportJson<SwapArtifact>(page, swap);
    expect(w.params).toMatchObject({ modelA: demo.models.standard, modelB: demo.models.adhd, sae: demo.saes.adhd, mode: 'latents', features: [255] });
    expect(w.gapFraction!).toBeGreaterThan(0.5);
    await screenshot(page, 'experiments-swap');

    // 4. A step-onset probe on adhd's SAE latents, and a second row moved to standard's hook activations.
    await go(page, link({ new: 'probe', model: demo.models.adhd, sae: demo.saes.adhd, dataset: demo.dataset, condition: 'token-regex:^Step$' }));
    await expect.poll(() => form.getByLabel('Probe 1 reads').inputValue()).toBe('sae');
    await form.getByRole('button', { name: 'Add probe' }).click();
    await form.getByLabel('Probe 2 model').selectOption(demo.models.standard);
    // The row's SAE follows its model (it kept adhd's before).
    await expect(form.getByLabel('Probe 2 SAE').inputValue()).resolves.toBe(demo.saes.standard);
    await form.getByLabel('Probe 2 reads').selectOption('hook');
    // A real hook, not a placeholder that submitting would refuse.
    await expect(form.getByLabel('Probe 2 hook').inputValue()).resolves.toBe('blocks.2.hook_resid_post');
    expect(await cutSelects(page, '.probe-row select')).toEqual([]);
    await smallRun(page);
    const probes = page.getByRole('article', { name: 'Probes result' });
    await probes.waitFor({ timeout: 60_000 });
    await expect(probes.getByRole('note').first().innerText()).resolves.toContain('Beats the majority baseline');
    const p = await exportJson<ProbeArtifact>(page, probes);
    expect(p.probes[0].accuracy!).toBeGreaterThan(p.probes[0].baseline.accuracy!);
    expect(p.probes[0].auroc!).toBeGreaterThan(0.95);
    expect(p.probes[1]).toMatchObject({ model: demo.models.standard, source: 'hook', hook: 'blocks.2.hook_resid_post' });
    // Probe labels are written in full on the plot.
    // The drawn text only: a mark's <title> (the hover text) would hold the full label even when the drawn one is cut.
    type Node = { nodeName: string; textContent: string | null; childNodes: ArrayLike<Node> };
    const drawn = await probes.getByRole('figure', { name: 'Probe accuracy' }).locator('svg text').evaluateAll((els) =>
      els.map((e) => Array.from((e as unknown as Node).childNodes).filter((n) => n.nodeName.toLowerCase() !== 'title').map((n) => n.textContent ?? '').join('').trim()),
    );
    for (const probe of p.probes) expect(drawn).toContain(probe.label);
    await screenshot(page, 'experiments-probe');

    // The list holds all three; a finished one reopens by URL.
    const list = page.getByRole('navigation', { name: 'Experiment results' });
    await expect(list.locator('[data-state="completed"]').count()).resolves.toBe(4);
    await list.locator('[data-state="completed"]').last().click();
    await page.getByRole('article', { name: 'Ablation result' }).waitFor();

    // 5. The seed's result files, drawn by shape beside ours.
    await list.getByText('causal_nulls_per_seed.json', { exact: true }).click();
    const nulls = page.getByRole('article', { name: 'Result file causal_nulls_per_seed.json' });
    await nulls.getByRole('figure', { name: 'Per-seed effect against the recorded null' }).locator('svg').first().waitFor();
    await expect(nulls.innerText()).resolves.toContain('read as per-seed effects against nulls');
    await list.getByText('deepdive_steering.json', { exact: true }).click();
    await page.getByRole('article', { name: 'Result file deepdive_steering.json' }).getByRole('figure', { name: 'Sweep' }).locator('svg').first().waitFor();
    await list.getByText('three_probes.json', { exact: true }).click();
    await page.getByRole('article', { name: 'Result file three_probes.json' }).getByRole('figure', { name: 'Probe accuracy' }).locator('svg').first().waitFor();
    await screenshot(page, 'experiments-seed-probes');
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);
});
