/**
 * Every page of the sidebar (read from the rendered nav, so pages added later are covered), at
 * 1024 and 1440 px, in the light and the dark theme (through prefers-color-scheme): nothing may
 * overflow horizontally, the theme's background must really apply, and a screenshot of each goes
 * to e2e-output/looks-<page>-<width>-<theme>.png to be looked at. One browser session, one app.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ensureDemoBundle } from '../main/demo/demoBundle';
import { runCliCaptured } from '../main/testing/cliRun';
import { offlineAppPerFile, openApp, screenshot } from './harness';

const suite = offlineAppPerFile();

const VIEWPORTS = [
  { width: 1024, height: 768 },
  { width: 1440, height: 900 },
];
const THEMES = ['light', 'dark'] as const;

/** Elements wider than the window: their tag/class and how far they stick out (runs in the page). */
const HORIZONTAL_OVERFLOW = `(() => {
  const limit = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > limit + 1) out.push('document scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + limit);
  // Elements inside a container that scrolls or clips on its own (wide tables) are not page overflow.
  const clipped = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden') return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll('main *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > limit + 1 && !clipped(el) && getComputedStyle(el).position !== 'fixed') {
      out.push(el.tagName.toLowerCase() + '.' + String(el.className || '').split(' ').join('.') + ' ends at ' + Math.round(r.right) + 'px');
      if (out.length > 5) break;
    }
  }
  return out;
})()`;

async function horizontalOverflow(page: Page): Promise<string[]> {
  return (await page.evaluate(HORIZONTAL_OVERFLOW)) as string[];
}

describe('looks: every page at 1024 and 1440 px, light and dark', () => {
  it('holds its layout without horizontal overflow and applies the theme', async () => {
    const { page, errors } = await openApp(suite.browser(), suite.app());
    // Real content on the pages: the demo bundle (Prompt generates it), a finished job, a chosen Library item.
    await page.goto(`${suite.app().origin}/#/prompt`);
    await page.getByRole('group', { name: 'Tokens of sae-workbench/demo-adhd' }).waitFor({ timeout: 120_000 });
    await page.goto(`${suite.app().origin}/#/queue?new=files.verify`);
    await page.getByLabel('Paths', { exact: true }).fill(suite.app().home);
    await page.getByRole('button', { name: 'Add to queue' }).click();
    await page.locator('tr[data-job-id][data-state=completed]').first().waitFor({ timeout: 60_000 });

    const nav = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
    const links = await nav.evaluateAll((as) => as.map((a) => ({ label: (a.textContent ?? '').trim(), href: a.getAttribute('href') ?? '' })));
    expect(links.length).toBeGreaterThanOrEqual(7);
    const problems: string[] = [];
    const shot: string[] = [];
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      for (const theme of THEMES) {
        await page.emulateMedia({ colorScheme: theme });
        for (const { label, href } of links) {
          await page.goto(`${suite.app().origin}/${href}`);
          await page.getByRole('heading', { level: 1, name: label, exact: true }).waitFor({ timeout: 15_000 });
          if (label === 'Prompt') await page.getByRole('group', { name: 'Tokens of sae-workbench/demo-adhd' }).waitFor({ timeout: 60_000 });
          if (label === 'Library') {
            // Master-detail: the first SAE chosen, its details beside the list.
            await page.locator('tr[data-item-id]').first().waitFor({ timeout: 30_000 });
            await page.locator('.sae-group tr[data-item-id]').first().click();
            await page.getByRole('region', { name: /^Details of / }).waitFor();
          }
          if (label === 'Queue') await page.locator('tr[data-job-id]').first().click();
          await page.waitForTimeout(250);
          expect(await page.evaluate('document.documentElement.dataset.theme')).toBe(theme);
          const bg = (await page.evaluate('getComputedStyle(document.body).backgroundColor')) as string;
          // Light pages are light and dark pages dark, whatever else a page draws.
          const [r, g, b] = bg.match(/\d+/g)!.map(Number);
          const luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
          if (theme === 'light' ? luminance < 0.8 : luminance > 0.2) problems.push(`${label} ${viewport.width} ${theme}: body background ${bg}`);
          for (const o of await horizontalOverflow(page)) problems.push(`${label} ${viewport.width} ${theme}: ${o}`);
          shot.push(await screenshot(page, `looks-${label.toLowerCase()}-${viewport.width}-${theme}`));
        }
      }
    }
    expect(problems).toEqual([]);
    expect(shot).toHaveLength(links.length * VIEWPORTS.length * THEMES.length);
    for (const f of shot) expect(fs.statSync(f).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);

  it('the labels: a labelled feature with a note on its dashboard, labels in the list and the neighbour tables', async () => {
    const home = suite.app().home;
    const demo = ensureDemoBundle(home);
    // Indexed and labelled from the shell while the app runs (the CLI queues the build in the open app).
    const built = await runCliCaptured(['index', '--model', demo.models.adhd, '--sae', demo.saes.adhd, '--dataset', demo.dataset, '--max-documents', '60', '--device', 'cpu', '--home', home]);
    expect(built.code, built.err).toBe(0);
    const indexId = JSON.parse(built.out.trim().split('\n').pop()!).index_ids[0] as string;
    const labels = path.join(home, 'looks-labels.json');
    const note = 'Fires only at "Step" in adhd; no counterpart in standard (found by the step-onset diff; ablating it drops the logit of " quickly" by 7).';
    fs.writeFileSync(labels, JSON.stringify({ '255': { label: 'step onset', note }, '1': 'token "."', '2': 'token "the"', '226': 'context (noise)', '239': 'context (noise)' }));
    const imported = await runCliCaptured(['label', 'import', '--sae', demo.saes.adhd, labels, '--home', home]);
    expect(imported.code, imported.err).toBe(0);
    const { page, errors } = await openApp(suite.browser(), suite.app());
    const problems: string[] = [];
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      for (const theme of THEMES) {
        await page.emulateMedia({ colorScheme: theme });
        await page.goto(`${suite.app().origin}/#/features?index=${indexId}&feature=255`);
        const view = page.getByRole('article', { name: 'Feature 255' });
        await view.getByRole('heading', { level: 2 }).getByText('step onset').waitFor({ timeout: 30_000 });
        await page.getByRole('listbox', { name: 'Features' }).locator('.feature-label-tag').first().waitFor();
        await page.waitForTimeout(250);
        for (const o of await horizontalOverflow(page)) problems.push(`labels ${viewport.width} ${theme}: ${o}`);
        await screenshot(page, `looks-labels-${viewport.width}-${theme}`);
      }
    }
    expect(problems).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);
});
