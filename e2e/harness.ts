/**
 * Shared e2e plumbing: start browser mode (`sae-workbench serve`) on a fresh data directory and
 * drive Debian's chromium with playwright-core. A missing browser fails loudly, never skips.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';

export const projectRoot = path.resolve(import.meta.dirname, '..');
export const e2eOutput = path.join(projectRoot, 'e2e-output');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ServedApp {
  url: string;
  origin: string;
  token: string;
  home: string;
  process: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function tempHome(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sae-wb-e2e-${label}-`));
}

/** Start `serve` on a free port and wait for its "Serving on" line. */
export async function serveApp(options: { home?: string; env?: NodeJS.ProcessEnv; port?: number } = {}): Promise<ServedApp> {
  const home = options.home ?? tempHome('app');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'main/cli/main.ts'), 'serve', '--port', String(options.port ?? 0), '--home', home], {
    cwd: projectRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 60s:\n${out}`)), 60_000);
    const check = () => {
      const m = /Serving on (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    home,
    process: child,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`Chromium is required for e2e tests but ${chromiumPath} does not exist. Install it: apt-get install chromium (CI's .ci/run does).`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Open the app and fail the test on any uncaught page error. */
export async function openApp(browser: Browser, app: ServedApp): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(app.url);
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(e2eOutput, { recursive: true });
  const file = path.join(e2eOutput, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * One offline browser-mode app (HF_HUB_OFFLINE, an endpoint nothing listens on) and one browser
 * for a whole test file, started before its tests and stopped after.
 */
export function offlineAppPerFile(): { app: () => ServedApp; browser: () => Browser } {
  let app: ServedApp | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    app = await serveApp({ env: { HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  return { app: () => app!, browser: () => browser! };
}

/**
 * Wait until what a screenshot shows has drawn: web fonts loaded, every visible plot container
 * holding its chart, then two animation frames (layout and paint) — a state, not a guessed pause.
 */
export async function pageSettled(page: Page): Promise<void> {
  // Strings run in the page (this file is compiled without the DOM's types); page.evaluate, not
  // waitForFunction, whose string form the app's CSP (no 'unsafe-eval') refuses.
  const drawn = `document.fonts.status === 'loaded' && [...document.querySelectorAll('.plot-figure')].every((f) => f.childElementCount > 0 || f.offsetParent === null || f.clientWidth === 0)`;
  await expect.poll(() => page.evaluate(drawn), { timeout: 15_000, interval: 50 }).toBe(true);
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(null))))');
}
