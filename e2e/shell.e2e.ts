import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openApp, screenshot, serveApp, tempHome, type ServedApp } from './harness';
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
    const row = page.locator('tr[data-job-id]').last();
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
    const row = page.locator('tr[data-job-id]').last();
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
    // The UI opened without the token says it cannot reach the core instead of showing data.
    const page = await browser.newPage();
    await page.goto(`${app.origin}/#/queue`);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Cannot reach the SAE Workbench core/);
    await page.close();
  });
});
