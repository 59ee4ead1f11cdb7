/**
 * Training from the UI on the demo bundle (the acceptance of issue 8): layer-2 SAEs for both demo
 * models, started from the Training page's demo presets (resid_post and mlp_out from one model
 * pass), followed live on their charts, then judged: every blocking quality gate passes, the
 * duplicate gate warns about the adhd mlp_out dictionary's near-copies (issue 18) and lists them
 * with links to their feature pages, the adhd SAE at
 * mlp_out has a latent whose decoder direction has cosine >= 0.9 with the planted direction, and
 * no SAE of the standard model has one above 0.5. The cosines are printed for the record
 * (resid_post included, where the planted direction only ever appears on top of the Step token's
 * own embedding).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoBundleDir, demoBundlePaths } from '../main/demo/demoBundle';
import { loadSae } from '../main/formats/saeLoader';
import { readSafetensors, toFloat32 } from '../main/formats/safetensors';
import { sharedDemoBundle } from '../main/train/testing/demoFixture';
import { launchBrowser, openApp, screenshot, serveApp, tempHome, type ServedApp } from './harness';

let app: ServedApp;
let browser: Browser;

beforeAll(async () => {
  const home = tempHome('train');
  // The demo bundle as after its first use (the Prompt or Training page generates it otherwise).
  fs.cpSync(sharedDemoBundle().root, demoBundleDir(home), { recursive: true });
  app = await serveApp({ home, env: { HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

function maxCosine(saeDir: string, direction: Float32Array): number {
  const sae = loadSae(saeDir);
  const d = sae.config.dIn;
  let best = -1;
  for (let j = 0; j < sae.config.dSae; j++) {
    let dot = 0;
    let n = 0;
    for (let i = 0; i < d; i++) {
      const w = sae.W_dec.data[j * d + i];
      dot += w * direction[i];
      n += w * w;
    }
    best = Math.max(best, dot / Math.sqrt(n));
  }
  return best;
}

async function startDemoRun(page: Page, which: 'adhd' | 'standard'): Promise<string> {
  const form = page.getByLabel('New training run');
  if (!(await form.isVisible())) await page.getByText('New training run', { exact: true }).click();
  await form.getByRole('button', { name: `Demo ${which} · layer 2` }).click();
  await expect(form.getByRole('combobox', { name: 'Model' }).inputValue()).resolves.toMatch(new RegExp(`models[/\\\\]${which}$`));
  await form.getByRole('combobox', { name: 'Device' }).selectOption('cpu');
  if (which === 'adhd') await screenshot(page, 'training-form-demo-preset');
  const runOf = (url: URL) => new URLSearchParams(url.hash.split('?')[1] ?? '').get('run');
  const before = runOf(new URL(page.url()));
  await form.getByRole('button', { name: 'Start training' }).click();
  await page.waitForURL((url) => runOf(url) !== null && runOf(url) !== before);
  return runOf(new URL(page.url()))!;
}

describe('Training page on the demo bundle', () => {
  it('picks the dataset from the Library in Training and Evaluate, and says the demo SAE was constructed, not trained', async () => {
    const demo = demoBundlePaths(demoBundleDir(app.home));
    const { page, errors } = await openApp(browser, app);
    await page.goto(`${app.url}#/training?new=1`);
    const form = page.getByLabel('New training run');
    await form.getByRole('button', { name: 'Demo adhd · layer 2' }).waitFor({ timeout: 60_000 });
    // Issue 17: the dataset was a typed path; it is the Library's picker, a typed path one choice away.
    const dataset = form.getByRole('combobox', { name: 'Dataset', exact: true });
    await dataset.selectOption(demo.dataset);
    await expect(form.getByRole('textbox', { name: 'Dataset path' }).count()).resolves.toBe(0);
    await form.getByRole('button', { name: 'Demo adhd · layer 2' }).click();
    await expect(dataset.inputValue()).resolves.toBe(demo.dataset);
    await dataset.selectOption({ label: 'Another file or folder…' });
    await expect(form.getByRole('textbox', { name: 'Dataset path' }).inputValue()).resolves.toBe(demo.dataset);

    // Evaluate: the demo's dataset is preselected; the constructed SAE fails its gates, and says why.
    const evals = page.getByLabel('Evaluations');
    await expect(evals.getByRole('combobox', { name: 'Evaluation dataset', exact: true }).inputValue()).resolves.toBe(demo.dataset);
    await evals.getByRole('combobox', { name: 'Evaluation model' }).selectOption(demo.models.adhd);
    await evals.getByRole('combobox', { name: 'Evaluation SAE' }).selectOption(demo.saes.adhd);
    await evals.getByLabel('Evaluation tokens').fill('2048');
    await evals.getByRole('button', { name: 'Evaluate' }).click();
    const note = evals.getByRole('note');
    await note.waitFor({ timeout: 120_000 });
    await expect(note.innerText()).resolves.toContain('Constructed, not trained: this SAE is part of the demo bundle');
    await expect(evals.locator('tr[data-job-id] .gate-fail').innerText()).resolves.toContain('constructed, not trained');
    // Issue 18: the same dictionary figures for any SAE: duplicates % and dense % in the row, the dictionary under it.
    await expect(evals.locator('tr[data-job-id] td[data-metric="duplicate_pct"]').innerText()).resolves.toMatch(/^\d+\.\d\d$/);
    await expect(evals.locator('tr[data-job-id] td[data-metric="dense_pct"]').innerText()).resolves.toMatch(/^\d+\.\d\d$/);
    const dictionary = evals.locator('tr.eval-dictionary');
    await dictionary.locator('summary').click();
    await expect(dictionary.getByRole('figure', { name: /Firing density of/ }).count()).resolves.toBe(1);
    await expect(dictionary.locator('[data-figure="live"]').innerText()).resolves.toMatch(/^\d+ live latents$/);
    await note.scrollIntoViewIfNeeded();
    await screenshot(page, 'training-eval-constructed');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('trains layer-2 SAEs for both demo models from the UI: gates pass, the adhd SAE finds the planted direction, the standard one does not', { timeout: 420_000 }, async () => {
    const { page, errors } = await openApp(browser, app);
    await page.getByRole('navigation', { name: 'Main' }).getByText('Training', { exact: true }).click();
    await page.getByRole('button', { name: 'Demo adhd · layer 2' }).waitFor({ timeout: 60_000 });
    // Every field shows its default's reason.
    const formText = await page.getByLabel('New training run').innerText();
    expect(formText).toContain("sae_lens' train_batch_size_tokens");
    expect(formText).toContain('Default on: the same activations at 1/100 of their size train identically');
    expect(formText).toContain('0.12 x sqrt(k / d_sae) / d_in^(1/4)');

    const adhd = await startDemoRun(page, 'adhd');
    const standard = await startDemoRun(page, 'standard');
    await page.goto(`${app.url}#/training?run=${adhd}`);

    // Live: the curves draw while the run is still going.
    const runPanel = page.getByLabel('Training run');
    await runPanel.getByRole('figure', { name: 'MSE chart' }).locator('g[aria-label="line"] path').first().waitFor({ timeout: 120_000 });
    const stateWhileDrawing = await page.locator(`tr[data-job-id="${adhd}"]`).getAttribute('data-state');
    expect(['running', 'completed']).toContain(stateWhileDrawing);
    if (stateWhileDrawing === 'running') await screenshot(page, 'training-demo-adhd-live');

    for (const id of [adhd, standard]) await page.locator(`tr[data-job-id="${id}"][data-state="completed"]`).waitFor({ timeout: 240_000 });
    await page.locator(`tr[data-job-id="${standard}"] input[type="checkbox"]`).check();
    await runPanel.getByLabel('Quality gates').first().waitFor();
    // The overlaid run's points arrive by their own fetch after the checkbox: poll, not one look.
    await expect.poll(() => runPanel.locator('.chart-legend .legend-item').count(), { timeout: 15_000 }).toBe(4); // 2 runs x 2 hooks
    await screenshot(page, 'training-demo-adhd-with-standard-overlay');

    const cosines: Record<string, number> = {};
    let duplicatePct = 0;
    const direction = toFloat32(readSafetensors(path.join(demoBundleDir(app.home), 'planted_direction.safetensors')).get('direction'));
    for (const [name, id] of [['adhd', adhd], ['standard', standard]] as const) {
      await page.goto(`${app.url}#/training?run=${id}`);
      const panel = page.getByLabel('Training run');
      await panel.getByLabel('Held-out evaluation').waitFor();
      const gates = panel.locator('.gates-block');
      await expect(gates.count()).resolves.toBe(2);
      // Every blocking gate (FVE, dead %) passes; the duplicate gate only warns.
      for (const row of await panel.locator('[aria-label="Quality gates"] tbody tr[data-blocking="true"]').all()) {
        expect(await row.getAttribute('data-pass'), `${name} ${await row.innerText()}`).toBe('true');
      }
      expect(await panel.locator('[aria-label="Quality gates"] tbody tr[data-gate="duplicates %"]').count()).toBe(2);
      // No dead share rising on these runs.
      expect(await panel.getByRole('alert', { name: /Dead latents rising/ }).count()).toBe(0);
      if (name === 'adhd') {
        // Issue 18: the mlp_out dictionary passes FVE and dead % while a dozen latents copy one direction; the gate says so.
        const mlp = panel.locator('.gates-block[data-hook="blocks.2.hook_mlp_out"]');
        const dupGate = mlp.locator('tr[data-gate="duplicates %"]');
        await expect(dupGate.getAttribute('data-pass')).resolves.toBe('false');
        await expect(dupGate.locator('td').last().innerText()).resolves.toContain('warning');
        await expect(mlp.innerText()).resolves.toContain('with a warning');
        duplicatePct = Number(await dupGate.locator('td').nth(1).innerText());
        const dict = panel.getByLabel('Dictionary of blocks.2.hook_mlp_out');
        const groups = dict.getByRole('table', { name: 'Duplicate groups of blocks.2.hook_mlp_out' });
        await groups.scrollIntoViewIfNeeded();
        const links = groups.locator('a.feature-link');
        expect(await links.count()).toBeGreaterThanOrEqual(5);
        await expect(links.first().getAttribute('href')).resolves.toMatch(/#\/features\?.*sae=.*blocks\.2\.hook_mlp_out.*feature=\d+/);
        await expect(dict.locator('.dup-pair').first().innerText()).resolves.toMatch(/#\d+–#\d+ (0\.9\d\d|1\.000), r -?\d\.\d{3}/);
        await screenshot(page, 'training-demo-adhd-dictionary');
      }
      for (const block of await gates.all()) {
        const hook = (await block.getAttribute('data-hook'))!;
        const out = (await block.locator('code').innerText()).trim();
        cosines[`${name} ${hook}`] = maxCosine(out, direction);
      }
      // Trained on CPU: the page promises a bit-identical repeat and resume (GPU runs say they are not).
      const note = panel.getByRole('note', { name: 'Reproducibility' });
      await expect(note.getAttribute('data-kind')).resolves.toBe('exact');
      await expect(note.innerText()).resolves.toMatch(/^Reproducible bit for bit: .*byte-identical SAEs/);
      if (name === 'adhd') await screenshot(page, 'training-demo-adhd-gates');
    }
    console.log(`max decoder cosine with the planted direction: ${JSON.stringify(cosines, (_k, v) => (typeof v === 'number' ? Number(v.toFixed(4)) : v))}; adhd mlp_out duplicates ${duplicatePct} %`);
    expect(duplicatePct).toBeGreaterThan(5);
    expect(cosines['adhd blocks.2.hook_mlp_out']).toBeGreaterThanOrEqual(0.9);
    expect(cosines['standard blocks.2.hook_mlp_out']).toBeLessThan(0.5);
    expect(cosines['standard blocks.2.hook_resid_post']).toBeLessThan(0.5);
    // At resid_post the planted direction always rides on the Step token's embedding. With b_dec
    // at zero the preset's SAE learned their sum (cosine ~0.70); since b_dec starts at the rows'
    // geometric median (issue 18: FVE 0.916 vs 0.904 here, and far fewer dead latents on the lr
    // study's shapes) it no longer isolates it (~0.26), still well above the standard model's (~0.05).
    // This preset's resid_post dictionary is all dense (k is half of d_sae): not a place to look for features.
    expect(cosines['adhd blocks.2.hook_resid_post']).toBeGreaterThan(cosines['standard blocks.2.hook_resid_post'] + 0.1);
    expect(errors).toEqual([]);
    await page.close();
  });
});
