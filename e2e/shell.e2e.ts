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
    const seen: number[] = [];
    for (let i = 0; i < 600; i++) {
      const state = await row.getAttribute('data-state');
      const now = await row.getByRole('progressbar').getAttribute('aria-valuenow');
      if (now !== null) seen.push(Number(now));
      if (state === 'completed') break;
      await page.waitForTimeout(50);
    }
    expect(await row.getAttribute('data-state')).toBe('completed');
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
