/**
 * Experiments in the browser on the demo bundle (the acceptance of the causal experiments):
 * ablating the planted adhd feature moves the logit of "quickly" at "Step" far outside the null
 * band (random features of matched density barely move it); the four-panel steering of the
 * planted direction raises standard's logit to near adhd's; a step-onset probe on adhd's SAE
 * latents beats the majority baseline; the seed's result files open beside them. Started from
 * the page's URL (as the Features page links to it) and the form; results exported as JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AblateArtifact, ProbeArtifact, SteerArtifact } from '../preload/api';
import { ensureDemoBundle, type DemoBundlePaths } from '../main/demo/demoBundle';
import { seedArtifacts } from '../main/library/testing/seedRepoFixture';
import { runCliCaptured } from '../main/testing/cliRun';
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
    await smallRun(page);
    const ablation = page.getByRole('article', { name: 'Ablation result' });
    await ablation.waitFor({ timeout: 60_000 });
    const verdict = await ablation.getByRole('note', { name: 'Verdict' }).innerText();
    expect(verdict).toMatch(/^Zero-ablating feature 255 changes the logit of "quickly" at token-regex:\^Step\$ by -\d/);
    expect(verdict).toContain('outside the 2 SEM band, below all 9 random draws');
    await ablation.getByRole('figure', { name: 'Effect against the null band' }).locator('svg').first().waitFor();
    const a = await exportJson<AblateArtifact>(page, ablation);
    expect(a.params).toMatchObject({ features: [255], maxDocuments: 40, seeds: 3, drawsPerSeed: 3, metric: 'logit:quickly' });
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
    await form.getByRole('button', { name: 'Four panels: both models × amplify / ablate' }).click();
    await expect(form.getByLabel('Panel 4 intervention').inputValue()).resolves.toBe('replace');
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
    const s = await exportJson<SteerArtifact>(page, steering);
    const [amplify, ablate, carried, projected] = s.panels;
    expect(amplify.carried).toBe(false);
    expect(carried.carried).toBe(true);
    expect(carried.clean).toBeLessThan(1);
    // Standard steered along the planted direction (default strength: the feature's max) lands near adhd's 9.19.
    expect(carried.points[0].steered).toBeGreaterThan(8);
    expect(carried.points[0].outsideNull).toBe(true);
    expect(ablate.points[0].effect).toBeLessThan(-5);
    expect(projected.points[0].effect).toBeCloseTo(0, 1);
    expect(carried.generation!.steered).toMatch(/^quickly/);
    expect(carried.generation!.clean).not.toMatch(/^quickly/);
    await expect(steering.getByLabel('Generated text of panel 3').innerText()).resolves.toContain('quickly');
    await screenshot(page, 'experiments-steering-four-panels');

    // 3. A step-onset probe on adhd's SAE latents.
    await go(page, link({ new: 'probe', model: demo.models.adhd, sae: demo.saes.adhd, dataset: demo.dataset, condition: 'token-regex:^Step$' }));
    await expect.poll(() => form.getByLabel('Probe 1 reads').inputValue()).toBe('sae');
    await smallRun(page);
    const probes = page.getByRole('article', { name: 'Probes result' });
    await probes.waitFor({ timeout: 60_000 });
    await expect(probes.getByRole('note').first().innerText()).resolves.toContain('Beats the majority baseline');
    const p = await exportJson<ProbeArtifact>(page, probes);
    expect(p.probes[0].accuracy!).toBeGreaterThan(p.probes[0].baseline.accuracy!);
    expect(p.probes[0].auroc!).toBeGreaterThan(0.95);
    await screenshot(page, 'experiments-probe');

    // The list holds all three; a finished one reopens by URL.
    const list = page.getByRole('navigation', { name: 'Experiment results' });
    await expect(list.locator('[data-state="completed"]').count()).resolves.toBe(3);
    await list.locator('[data-state="completed"]').last().click();
    await page.getByRole('article', { name: 'Ablation result' }).waitFor();

    // 4. The seed's result files, drawn by shape beside ours.
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
