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
import { ensureDemoBundle, readyDemoBundle } from '../main/demo/demoBundle';
import { runCliCaptured } from '../main/testing/cliRun';
import { cutSelects } from './cutText';
import { offlineAppPerFile, openApp, pageSettled, screenshot } from './harness';

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

/**
 * The Library lists what its scan found: on a busy machine the first scan can outlast any fixed
 * wait, so wait for the page to say it is done ("Rescan" back, "Scanned <time>"). The bound is
 * the scan's, not a guess at how long rendering takes.
 */
async function libraryScanned(page: Page): Promise<void> {
  const toolbar = page.locator('.library-page .toolbar');
  await toolbar.getByRole('button', { name: 'Rescan', exact: true }).waitFor({ timeout: 300_000 });
  await toolbar.getByText(/^Scanned /).waitFor({ timeout: 300_000 });
  // A scan started by this visit shows "Scanning…" only after its request returns: wait that out too.
  await expect.poll(() => toolbar.getByRole('button', { name: 'Scanning…' }).count(), { timeout: 300_000 }).toBe(0);
}

/**
 * States past a page's first view, each at 1024 and 1400 px (where the cut selects were seen),
 * light and dark: `open` brings the page there; problems are overflow and cut selects.
 */
const STATES: { name: string; open(page: Page, origin: string, home: string): Promise<void>; selects?: string }[] = [
  {
    // The steering form with four panels: {adhd, standard} x {amplify, ablate} of the planted feature.
    name: 'experiments-steer-four-panels',
    selects: '.panel-card select',
    async open(page, origin, home) {
      const demo = readyDemoBundle(home)!;
      const query = new URLSearchParams({ new: 'steer', model: demo.models.adhd, sae: demo.saes.adhd, features: '255', modelB: demo.models.standard, dataset: demo.dataset });
      await page.goto(`${origin}/#/experiments?${query.toString()}`);
      const form = page.getByRole('group', { name: 'New experiment' });
      await form.getByRole('button', { name: 'Four panels: both models × amplify / ablate' }).click();
      await form.getByLabel('Panel 4 intervention').waitFor();
      // The labels of the sources are in (not the folder-name fallback).
      await expect.poll(async () => (await page.locator('.panel-summary').allTextContents()).filter((t) => t.includes('sae-workbench/demo-')).length, { timeout: 15_000 }).toBe(4);
    },
  },
];

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
            // The list is what the finished scan found: wait for the scan (a state the page shows), then the rows.
            await libraryScanned(page);
            // Master-detail: the first SAE chosen, its details beside the list.
            await page.locator('tr[data-item-id]').first().waitFor({ timeout: 30_000 });
            await page.locator('.sae-group tr[data-item-id]').first().click();
            await page.getByRole('region', { name: /^Details of / }).waitFor();
          }
          if (label === 'Queue') await page.locator('tr[data-job-id]').first().click();
          await pageSettled(page);
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
    for (const state of STATES) {
      for (const viewport of [{ width: 1024, height: 768 }, { width: 1400, height: 900 }]) {
        await page.setViewportSize(viewport);
        for (const theme of THEMES) {
          await page.emulateMedia({ colorScheme: theme });
          await state.open(page, suite.app().origin, suite.app().home);
          for (const o of await horizontalOverflow(page)) problems.push(`${state.name} ${viewport.width} ${theme}: ${o}`);
          if (state.selects) for (const c of await cutSelects(page, state.selects)) problems.push(`${state.name} ${viewport.width} ${theme}: cut select ${c}`);
          shot.push(await screenshot(page, `looks-${state.name}-${viewport.width}-${theme}`));
        }
      }
    }
    expect(problems).toEqual([]);
    expect(shot).toHaveLength((links.length + STATES.length) * VIEWPORTS.length * THEMES.length);
    for (const f of shot) expect(fs.statSync(f).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);

  it('Compare after a diff and the side-by-side pane hold their layout at 1024 and 1400 px, light and dark', async () => {
    const { page, errors } = await openApp(suite.browser(), suite.app());
    const origin = suite.app().origin;
    // The demo pair indexed (a small slice) and its step-onset diff run, from the UI.
    await page.goto(`${origin}/#/features`);
    await expect.poll(() => page.getByRole('combobox', { name: 'Index model B' }).inputValue(), { timeout: 120_000, interval: 500 }).toMatch(/models[/\\]adhd$/);
    await expect.poll(() => page.getByRole('combobox', { name: 'Index dataset' }).inputValue(), { timeout: 30_000 }).toMatch(/dataset\.jsonl$/);
    await page.getByRole('spinbutton', { name: 'Max documents' }).fill('200');
    await page.getByRole('button', { name: 'Index both models' }).click();
    await page.goto(`${origin}/#/queue`);
    const builds = page.locator('tr[data-job-id]').filter({ hasText: 'index.build' });
    await expect.poll(() => builds.count(), { timeout: 30_000 }).toBe(2);
    await expect.poll(async () => (await builds.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-state')))).join(','), { timeout: 300_000, interval: 500 }).toBe('completed,completed');
    await page.goto(`${origin}/#/compare`);
    await expect.poll(() => page.getByRole('combobox', { name: 'Index B' }).locator('option:checked').innerText(), { timeout: 20_000 }).toContain('demo-adhd');
    await page.getByRole('button', { name: 'Run diff' }).click();
    const result = page.getByRole('region', { name: 'Condition diff result' });
    await result.waitFor({ timeout: 180_000 });
    const compareDiff = new URL(page.url()).hash;
    const a = await page.getByRole('combobox', { name: 'Index A' }).inputValue();
    const b = await page.getByRole('combobox', { name: 'Index B' }).inputValue();
    await page.getByRole('navigation', { name: 'Compare views' }).getByText('Matches').click();
    const top = page.locator('.match-table [role=row][data-feature]').first();
    await top.waitFor({ timeout: 20_000 });
    const feature = Number(await top.getAttribute('data-feature'));
    const compareMatches = new URL(page.url()).hash;
    await page.goto(`${origin}/#/features?index=${b}&feature=${feature}`);
    await page.getByRole('combobox', { name: 'Compare with index' }).selectOption(a);
    await page.locator('.other-pane article').waitFor({ timeout: 20_000 });
    const sideBySide = new URL(page.url()).hash;

    const states = [
      {
        name: 'compare-diff',
        hash: compareDiff,
        ready: async () => {
          await result.locator('tbody tr').first().waitFor({ timeout: 20_000 });
          await page.getByLabel('Condition preview').locator('.preview-token').first().waitFor({ timeout: 20_000 });
        },
      },
      { name: 'compare-matches', hash: compareMatches, ready: () => page.getByRole('figure', { name: 'Match score distribution' }).locator('svg').first().waitFor({ timeout: 20_000 }) },
      { name: 'features-side-by-side', hash: sideBySide, ready: () => page.locator('.other-pane article').waitFor({ timeout: 20_000 }) },
    ];
    const problems: string[] = [];
    const shot: string[] = [];
    for (const viewport of [{ width: 1024, height: 768 }, { width: 1400, height: 900 }]) {
      await page.setViewportSize(viewport);
      for (const theme of THEMES) {
        await page.emulateMedia({ colorScheme: theme });
        for (const state of states) {
          await page.goto(`${origin}/${state.hash}`);
          await state.ready();
          await pageSettled(page);
          for (const o of await horizontalOverflow(page)) problems.push(`${state.name} ${viewport.width} ${theme}: ${o}`);
          shot.push(await screenshot(page, `looks-${state.name}-${viewport.width}-${theme}`));
        }
      }
    }
    expect(problems).toEqual([]);
    for (const f of shot) expect(fs.statSync(f).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await page.close();
  }, 900_000);

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
        await pageSettled(page);
        for (const o of await horizontalOverflow(page)) problems.push(`labels ${viewport.width} ${theme}: ${o}`);
        await screenshot(page, `looks-labels-${viewport.width}-${theme}`);
      }
    }
    expect(problems).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);
});
