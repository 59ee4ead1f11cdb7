import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoBundle, type DemoBundlePaths } from '../main/demo/demoBundle';
import { e2eOutput, launchBrowser, openApp, screenshot, serveApp, tempHome, type ServedApp } from './harness';
import { distinctColours } from './pixels';

let app: ServedApp;
let browser: Browser;

beforeAll(async () => {
  app = await serveApp();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

/** The row of the job just added from the form (the Queue opens its detail: its id is in the URL). */
async function addedJobRow(page: Page): Promise<Locator> {
  await expect.poll(() => new URL(page.url()).hash).toMatch(/job=/);
  const id = new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('job')!;
  return page.locator(`tr[data-job-id="${id}"]`);
}

function sparseFiles(count: number, bytes: number): string[] {
  const dir = path.join(tempHome('files'), 'data');
  fs.mkdirSync(dir);
  return Array.from({ length: count }, (_, i) => {
    const f = path.join(dir, `f${i}.bin`);
    fs.closeSync(fs.openSync(f, 'w'));
    fs.truncateSync(f, bytes);
    return f;
  });
}

describe('app shell in browser mode', () => {
  it('renders the shell with its sidebar (screenshot is not blank)', async () => {
    const { page, errors } = await openApp(browser, app);
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const label of ['Library', 'Queue', 'Prompt', 'Features', 'Compare', 'Experiments', 'Settings']) {
      await expect(nav.getByRole('link', { name: label, exact: true }).isVisible()).resolves.toBe(true);
    }
    const file = await screenshot(page, 'shell');
    expect(await distinctColours(page, fs.readFileSync(file))).toBeGreaterThan(8);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('navigates between pages', async () => {
    const { page, errors } = await openApp(browser, app);
    for (const label of ['Queue', 'Prompt', 'Features', 'Compare', 'Experiments', 'Settings', 'Library']) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: label, exact: true }).waitFor({ timeout: 10_000 });
      expect(page.url()).toContain(`#/${label.toLowerCase()}`);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a job enqueued from the Queue page runs to completion with visible progress', async () => {
    const { page, errors } = await openApp(browser, app);
    await page.goto(`${app.origin}/#/queue`);
    const files = sparseFiles(6, 256 * 2 ** 20);
    await page.getByText('New job').click();
    await page.getByLabel('Job kind').selectOption('files.verify');
    await page.getByLabel('Paths', { exact: true }).fill(files.join('\n'));
    await page.getByRole('button', { name: 'Add to queue' }).click();
    const row = await addedJobRow(page);
    // Progress is visible while it runs: the bar moves past 0 before the job completes.
    await row.locator('[role=progressbar][aria-valuenow]').first().waitFor();
    // Sample the bar while waiting for the state "completed" (the bound is the job's, not a guess).
    const seen: number[] = [];
    await expect
      .poll(
        async () => {
          const now = await row.getByRole('progressbar').getAttribute('aria-valuenow');
          if (now !== null) seen.push(Number(now));
          return row.getAttribute('data-state');
        },
        { timeout: 100_000, interval: 50 },
      )
      .toBe('completed');
    expect(seen.some((v) => v > 0 && v < 100)).toBe(true);
    await row.click();
    await expect(page.getByRole('log', { name: 'Job log' }).textContent()).resolves.toContain('Completed.');
    await screenshot(page, 'queue-completed');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a running job is cancelled from the Queue page', async () => {
    const { page } = await openApp(browser, app);
    await page.goto(`${app.origin}/#/queue`);
    const files = sparseFiles(8, 2 * 2 ** 30);
    await page.getByText('New job').click();
    await page.getByLabel('Job kind').selectOption('files.verify');
    await page.getByLabel('Paths', { exact: true }).fill(files.join('\n'));
    await page.getByRole('button', { name: 'Add to queue' }).click();
    const row = await addedJobRow(page);
    await row.locator('[data-state=running]').or(page.locator('tr[data-job-id][data-state=running]')).first().waitFor();
    await row.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(`tr[data-job-id="${await row.getAttribute('data-job-id')}"][data-state=cancelled]`).waitFor({ timeout: 30_000 });
    await expect(row.getByRole('button', { name: 'Retry' }).isVisible()).resolves.toBe(true);
    await page.close();
  });

  it('Settings shows which execution provider runs and why the others were skipped', async () => {
    const { page, errors } = await openApp(browser, app);
    await page.goto(`${app.origin}/#/settings`);
    const running = page.getByTestId('running-ep');
    await running.waitFor({ timeout: 60_000 });
    // No GPU on CI machines: auto falls back to CPU and says why CUDA was skipped.
    expect(await running.textContent()).toBe('CPU');
    const tried = page.getByRole('table', { name: 'Providers tried' });
    await expect(tried.textContent()).resolves.toMatch(/CUDA\s*skipped/);
    // The opt-in CUDA provider: what is missing and the button that installs it (the install itself is tested against a fixture NuGet in main/setup).
    const cuda = page.getByRole('region', { name: 'CUDA provider' }).or(page.locator('[aria-label="CUDA provider"]'));
    await cuda.getByTestId('cuda-next').waitFor({ timeout: 30_000 });
    await expect(cuda.getByRole('table', { name: 'CUDA provider files' }).textContent()).resolves.toMatch(/libonnxruntime_providers_cuda\.so\s*missing/);
    await expect(cuda.getByRole('table', { name: 'CUDA system libraries' }).textContent()).resolves.toMatch(/libcudnn\.so\.9\s*cuDNN 9\s*not found/);
    await expect(cuda.getByTestId('cuda-next').textContent()).resolves.toContain('setup cuda');
    await expect(cuda.getByRole('button', { name: 'Install CUDA provider' }).isEnabled()).resolves.toBe(true);
    await cuda.scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-cuda-provider');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the Queue form of a kind is generated from its params schema: fields, defaults, descriptions, raw JSON naming the valid keys', async () => {
    const { page, errors } = await openApp(browser, app);
    // A link can open the form for a kind, filled in.
    await page.goto(`${app.origin}/#/queue?new=hub.download&params=${encodeURIComponent(JSON.stringify({ repoId: 'org/name', include: ['a/*', 'b/*'] }))}`);
    await expect.poll(() => page.getByLabel('Job kind').inputValue()).toBe('hub.download');
    await expect.poll(() => page.getByLabel('Repo id', { exact: true }).inputValue()).toBe('org/name');
    await expect(page.getByLabel('Include', { exact: true }).inputValue()).resolves.toBe('a/*\nb/*');
    // Defaults and each field's description come from the zod schema.
    await expect(page.getByLabel('Revision', { exact: true }).inputValue()).resolves.toBe('main');
    await expect(page.getByLabel('Repo type', { exact: true }).inputValue()).resolves.toBe('"model"');
    await expect(page.getByLabel('Keep partial on cancel').isChecked()).resolves.toBe(false);
    await page.getByText('Branch, tag or commit sha to download.').waitFor();
    const add = page.getByRole('button', { name: 'Add to queue' });
    await expect(add.isEnabled()).resolves.toBe(true);
    // A wrong value is named at its field and blocks Add.
    await page.getByLabel('Parallel files', { exact: true }).fill('40');
    await page.getByText('Parallel files: at most 16').waitFor();
    await expect(add.isDisabled()).resolves.toBe(true);
    await page.getByLabel('Parallel files', { exact: true }).fill('2');
    await screenshot(page, 'queue-generated-form');
    // Raw JSON holds the same params; an unknown key is refused naming the valid ones.
    await page.getByRole('button', { name: 'Edit as raw JSON (advanced)' }).click();
    const raw = page.getByLabel('Parameters (JSON)');
    expect(JSON.parse(await raw.inputValue())).toEqual({ repoId: 'org/name', repoType: 'model', revision: 'main', include: ['a/*', 'b/*'], parallelFiles: 2, keepPartialOnCancel: false });
    await raw.fill('{"repo": "org/name"}');
    await expect(page.getByRole('alert').filter({ hasText: 'Unknown key' }).innerText()).resolves.toBe('Unknown key "repo"; valid keys: repoId, repoType, revision, include, exclude, files, parallelFiles, keepPartialOnCancel.');
    await expect(add.isDisabled()).resolves.toBe(true);
    // A kind without parameters is ready at once (`{}` used to leave Add disabled).
    await page.getByLabel('Job kind').selectOption('library.scan');
    await page.getByText('This kind takes no parameters.').waitFor();
    await expect(add.isEnabled()).resolves.toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('theme: Settings switches light / dark, kept in the app database across reloads and new browsers', async () => {
    const { page, errors } = await openApp(browser, app);
    const theme = (p: typeof page) => p.evaluate('document.documentElement.dataset.theme');
    await page.goto(`${app.origin}/#/settings`);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('group', { name: 'Theme' }).getByRole('button', { name: 'Dark' }).click();
    await expect.poll(() => theme(page)).toBe('dark');
    const bg = (await page.evaluate('getComputedStyle(document.body).backgroundColor')) as string;
    expect(bg).toBe('rgb(21, 24, 28)');
    await page.reload();
    await expect.poll(() => theme(page)).toBe('dark');
    // A fresh browser profile (no local copy) gets it from the core.
    const fresh = await browser.newPage();
    await fresh.emulateMedia({ colorScheme: 'light' });
    await fresh.goto(app.url);
    await expect.poll(() => theme(fresh)).toBe('dark');
    await fresh.close();
    // System follows prefers-color-scheme, live.
    await page.getByRole('group', { name: 'Theme' }).getByRole('button', { name: 'System' }).click();
    await expect.poll(() => theme(page)).toBe('light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(() => theme(page)).toBe('dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shortcut sheet and / work on every page; Esc closes the sheet', async () => {
    const { page, errors } = await openApp(browser, app);
    await page.goto(`${app.origin}/#/library`);
    await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
    await page.keyboard.press('/');
    await expect(page.evaluate('document.activeElement.getAttribute("aria-label")')).resolves.toBe('Filter the Library');
    await page.keyboard.type('zzz');
    await expect.poll(() => decodeURIComponent(page.url())).toContain('q=zzz');
    await page.locator('h1').click();
    await page.keyboard.press('?');
    const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect(sheet.getByRole('region', { name: 'Everywhere' }).innerText()).resolves.toMatch(/\/\s+Focus the page's search/);
    await expect(sheet.getByRole('region', { name: 'Library' }).innerText()).resolves.toMatch(/↓\s+Next item/);
    // No details panel is open, so no empty "Details" heading (issue 17).
    await expect(sheet.getByRole('region', { name: 'Details' }).count()).resolves.toBe(0);
    await screenshot(page, 'shortcut-sheet');
    await page.keyboard.press('Escape');
    await expect(sheet.count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('refuses API access without the launch token', async () => {
    const status = await new Promise<number>((resolve) => {
      const req = http.request(`${app.origin}/api`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('upgrade', () => resolve(101));
      req.end();
    });
    expect(status).toBe(401);
    // The UI opened without the token says it cannot reach the core instead of showing data, and,
    // once the core has refused it twice while answering /health, which URL to open (said once,
    // for the page: the calls that failed do not repeat it).
    const page = await browser.newPage();
    await page.goto(`${app.origin}/#/queue`);
    await page.getByRole('alert', { name: 'Connection to the core' }).filter({ hasText: 'The core refused this page: open the URL it printed.' }).waitFor({ timeout: 15_000 });
    await expect(page.getByRole('alert').count()).resolves.toBe(1);
    await page.close();
  });
});

/** Start `count` files.verify jobs on huge sparse files from the Queue form: they run for minutes. */
async function addVerifyJob(page: Page, files: string[]): Promise<string> {
  await page.goto(`${app.origin}/#/queue?new=files.verify`);
  await page.getByLabel('Paths', { exact: true }).fill(files.join('\n'));
  await page.getByRole('button', { name: 'Add to queue' }).click();
  return (await addedJobRow(page)).getAttribute('data-job-id').then((id) => id!);
}

const rowIds = (page: Page) => page.locator('table.jobs tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-job-id'), r.getAttribute('data-state')]));

describe('Queue: order, filters, clear finished, confirm before cancelling (issue 17)', () => {
  it('running jobs first, then waiting in run order, then finished newest first; filters; clear; confirm', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The page's clock runs on its own, so "ran for more than a minute" can be reached without waiting one.
    await page.clock.install();
    await page.goto(app.url);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    // Two CPU slots, whatever the machine: two long jobs take them and a third waits.
    await page.goto(`${app.origin}/#/settings`);
    const concurrency = page.getByLabel('CPU job concurrency');
    await concurrency.waitFor();
    for (const n of ['3', '2']) {
      await concurrency.fill(n);
      await page.getByText('Saved: CPU job concurrency').waitFor();
    }
    const quick = await addVerifyJob(page, sparseFiles(1, 1024));
    await page.locator(`tr[data-job-id="${quick}"][data-state=completed]`).waitFor({ timeout: 30_000 });
    const long1 = await addVerifyJob(page, sparseFiles(8, 2 * 2 ** 30));
    await page.locator(`tr[data-job-id="${long1}"][data-state=running]`).waitFor({ timeout: 30_000 });
    const long2 = await addVerifyJob(page, sparseFiles(8, 2 * 2 ** 30));
    await page.locator(`tr[data-job-id="${long2}"][data-state=running]`).waitFor({ timeout: 30_000 });
    const waiting = await addVerifyJob(page, sparseFiles(1, 1024));
    await page.locator(`tr[data-job-id="${waiting}"][data-state=queued]`).waitFor();
    // At 1024 px the job's detail slides over the list: close it to reach the rows' buttons.
    await page.getByRole('button', { name: 'Close job detail' }).click();

    const rows = await rowIds(page);
    const groups = rows.map(([, state]) => (['running', 'pausing', 'cancelling'].includes(state!) ? 0 : ['queued', 'paused', 'interrupted'].includes(state!) ? 1 : 2));
    expect(groups).toEqual([...groups].sort());
    expect(rows.slice(0, 3).map(([id]) => id)).toEqual([long2, long1, waiting]);
    // Finished newest first: the quick job finished last of the finished ones.
    expect(rows.find(([, state]) => state === 'completed')![0]).toBe(quick);
    await screenshot(page, 'queue-order-1024');

    // Filters (kept in the URL).
    await page.getByLabel('Filter by state').selectOption('finished');
    await expect.poll(() => rowIds(page).then((r) => r.every(([, st]) => ['completed', 'failed', 'cancelled'].includes(st!)))).toBe(true);
    expect(decodeURIComponent(page.url())).toContain('state=finished');
    await page.getByLabel('Filter by state').selectOption('active');
    await expect.poll(() => rowIds(page).then((r) => r.map(([id]) => id))).toEqual([long2, long1]);
    await page.getByLabel('Filter by kind').selectOption('library.scan');
    await page.getByText('No job matches the filter.').waitFor();
    await page.getByLabel('Filter by kind').selectOption('');
    await page.getByLabel('Filter by state').selectOption('');

    // Cancelling a job that ran over a minute asks first; "Keep it running" keeps it.
    await page.clock.fastForward('02:00');
    const row1 = page.locator(`tr[data-job-id="${long1}"]`);
    await row1.getByRole('button', { name: 'Cancel' }).click();
    const ask = page.getByRole('alertdialog');
    await expect(ask.innerText()).resolves.toMatch(/It has run for \d+ ?m/);
    await screenshot(page, 'queue-confirm-cancel');
    await ask.getByRole('button', { name: 'Keep it running' }).click();
    await expect(ask.count()).resolves.toBe(0);
    await expect(row1.getAttribute('data-state')).resolves.toBe('running');
    await row1.getByRole('button', { name: 'Cancel' }).click();
    await ask.getByRole('button', { name: 'Cancel the job' }).click();
    await page.locator(`tr[data-job-id="${long1}"][data-state=cancelled]`).waitFor({ timeout: 30_000 });
    await page.locator(`tr[data-job-id="${long2}"]`).getByRole('button', { name: 'Cancel' }).click();
    await ask.getByRole('button', { name: 'Cancel the job' }).click();
    await page.locator(`tr[data-job-id="${long2}"][data-state=cancelled]`).waitFor({ timeout: 30_000 });
    await page.locator(`tr[data-job-id="${waiting}"][data-state=completed]`).waitFor({ timeout: 30_000 });

    // Clear finished: asks, says no file is deleted, removes the finished rows only.
    const finished = (await rowIds(page)).filter(([, st]) => ['completed', 'failed', 'cancelled'].includes(st!)).map(([id]) => id!);
    expect(finished.length).toBeGreaterThanOrEqual(4);
    await page.getByRole('button', { name: `Clear finished (${finished.length})` }).click();
    await expect(ask.innerText()).resolves.toContain('no file is deleted');
    await screenshot(page, 'queue-confirm-clear');
    await ask.getByRole('button', { name: 'Clear them' }).click();
    await expect.poll(() => rowIds(page).then((r) => r.filter(([id]) => finished.includes(id!)).length)).toBe(0);
    for (const id of [quick, long1]) expect(fs.existsSync(path.join(app.home, 'runs', id))).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);
});

/** A PNG's signature and its IHDR size. */
function pngSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) || bytes.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function download(page: Page, button: Locator): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), button.click()]);
  const out = path.join(e2eOutput, file.suggestedFilename());
  fs.mkdirSync(e2eOutput, { recursive: true });
  await file.saveAs(out);
  return fs.readFileSync(out);
}

describe('model jobs say what they ran on; plots save as PNG; a restarted core is named (issue 17)', () => {
  let demoApp: ServedApp;
  let demo: DemoBundlePaths;
  beforeAll(async () => {
    const home = tempHome('ep');
    demo = ensureDemoBundle(home);
    demoApp = await serveApp({ home, env: { HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' } });
  }, 120_000);
  afterAll(async () => {
    await demoApp?.stop();
  });

  it('an index and an experiment asked for "auto" on this CPU-only machine say CPU, never GPU; the plot downloads as a PNG', async () => {
    const { page, errors } = await openApp(browser, demoApp);
    // An index built from the Queue form, device auto.
    const params = { modelPath: demo.models.adhd, saePaths: [demo.saes.adhd], datasetPath: demo.dataset, maxDocuments: 60, device: 'auto' };
    await page.goto(`${demoApp.origin}/#/queue?new=index.build&params=${encodeURIComponent(JSON.stringify(params))}`);
    await expect.poll(() => page.getByLabel('Job kind').inputValue()).toBe('index.build');
    await page.getByRole('button', { name: 'Add to queue' }).click();
    const indexRow = page.locator('tr[data-job-id]', { hasText: 'index.build' }).first();
    await indexRow.and(page.locator('[data-state=completed]')).waitFor({ timeout: 90_000 });
    await expect(indexRow.getByTestId('job-ep').innerText()).resolves.toBe('ran on CPU');
    await indexRow.click();
    const detail = page.getByRole('region', { name: 'Job detail' });
    await expect(detail.innerText()).resolves.toMatch(/execution provider\s+CPU \(what its model sessions ran on\)\s+slot\s+CPU/);
    expect(await page.locator('table.jobs').innerText()).not.toMatch(/GPU/);
    expect(await detail.locator('dl.details').first().innerText()).not.toMatch(/GPU/);
    // The log says why it took a CPU slot.
    await expect(detail.getByRole('log').innerText()).resolves.toContain('No GPU execution provider works on this machine: the job takes a CPU slot');
    await screenshot(page, 'queue-execution-provider');

    // The Features page names the index by its SAE: origin, width, k.
    await page.goto(`${demoApp.origin}/#/features`);
    await expect.poll(() => page.getByLabel('Index', { exact: true }).evaluate((s) => (s as unknown as { selectedOptions: { textContent: string | null }[] }).selectedOptions[0]?.textContent ?? '')).toContain('(demo, constructed) · 256 features · k 8');

    // An ablation, device auto, from the Experiments page.
    const link = new URLSearchParams({ new: 'ablate', model: demo.models.adhd, sae: demo.saes.adhd, features: '255', dataset: demo.dataset, condition: 'token-regex:^Step$', metric: 'logit:quickly' });
    await page.goto(`${demoApp.origin}/#/experiments?${link.toString()}`);
    const form = page.getByRole('group', { name: 'New experiment' });
    await expect.poll(() => form.getByLabel('Features').inputValue()).toBe('255');
    await form.getByLabel('Documents', { exact: true }).fill('40');
    await form.getByLabel('Null seeds').fill('2');
    await form.getByLabel('Random sets per seed').fill('2');
    await form.getByRole('button', { name: 'Run experiment' }).click();
    const ablation = page.getByRole('article', { name: 'Ablation result' });
    await ablation.waitFor({ timeout: 120_000 });
    const figure = ablation.locator('.experiment-figure').first();
    await figure.locator('svg').first().waitFor();
    // PNG: a real image (the page's CSP refused the blob: image it used to draw, and nothing came).
    const png = await download(page, figure.getByRole('button', { name: 'PNG' }));
    const size = pngSize(png);
    expect(size, 'a PNG signature and IHDR').not.toBeNull();
    expect(size!.width).toBeGreaterThan(300);
    expect(size!.height).toBeGreaterThan(100);
    expect(png.length).toBeGreaterThan(3000);
    const svg = (await download(page, figure.getByRole('button', { name: 'Save plot as SVG' }))).toString('utf8');
    expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    await expect(figure.getByRole('alert').count()).resolves.toBe(0);

    await page.goto(`${demoApp.origin}/#/queue?kind=experiment.ablate`);
    await expect(page.locator('tr[data-job-id]').first().getByTestId('job-ep').innerText()).resolves.toBe('ran on CPU');
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it('after the core restarts, the open tab says so (no "not in the Library" notes) and the new URL works', async () => {
    const { page, errors } = await openApp(browser, demoApp);
    const chosen = new URLSearchParams({ text: 'How to cook rice. Step 1: Rinse', a: demo.models.standard, as: demo.saes.standard, b: demo.models.adhd, bs: demo.saes.adhd });
    await page.goto(`${demoApp.origin}/#/prompt?${chosen.toString()}`);
    await page.getByRole('group', { name: 'Tokens of sae-workbench/demo-adhd' }).waitFor({ timeout: 60_000 });
    const port = Number(new URL(demoApp.origin).port);
    await demoApp.stop();
    const banner = page.getByRole('alert', { name: 'Connection to the core' });
    await banner.filter({ hasText: 'Cannot reach the core: reconnecting' }).waitFor({ timeout: 15_000 });
    await screenshot(page, 'reconnecting');
    // Reloading a page while the core is away: no conclusions from data that could not load.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library', exact: true }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Prompt', exact: true }).click();
    expect(await page.locator('main').innerText()).not.toContain('not in the Library');

    demoApp = await serveApp({ home: demoApp.home, port, env: { HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' } });
    await banner.filter({ hasText: 'The core restarted: reopen the URL it printed.' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('main').innerText()).not.toContain('not in the Library');
    await screenshot(page, 'core-restarted');
    await page.goto(demoApp.url);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.goto(`${demoApp.origin}/#/queue`);
    await page.locator('tr[data-job-id]').first().waitFor();
    await expect(banner.count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
