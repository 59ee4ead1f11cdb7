import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobLogLine, JobView, LibraryItem, LibraryRoot } from '../../preload/api';
import { createCore } from '../api/core';
import { call, waitForJob } from '../testing/coreCalls';
import { runCliCaptured as cli } from '../testing/cliRun';
import { makeTempDir } from '../testing/tempDirs';
import { recognizeTree } from './recognizeItems';
import { seedSaeRepoFiles, writeTree } from './testing/seedRepoFixture';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function temp(label: string): string {
  const t = makeTempDir(label);
  cleanups.push(t.cleanup);
  return t.dir;
}

/** The reproduction: `ln -s . l1; ln -s . l2` (2^depth paths for a walker that follows links blindly). */
function loopFolder(withSaes: boolean): string {
  const dir = temp('loop');
  if (withSaes) writeTree(dir, seedSaeRepoFiles());
  fs.symlinkSync('.', path.join(dir, 'l1'));
  fs.symlinkSync('.', path.join(dir, 'l2'));
  return dir;
}

const source = (root: string) => ({ origin: 'test', source: () => ({ type: 'local' as const, root }) });

describe('symlink loops', () => {
  it('the Library walk visits each folder once and reports the loop, in milliseconds', () => {
    const dir = loopFolder(true);
    const problems: string[] = [];
    const started = Date.now();
    const items = recognizeTree(dir, source(dir), problems);
    expect(Date.now() - started).toBeLessThan(2000);
    const saes = items.filter((i) => i.kind === 'sae');
    expect(saes).toHaveLength(7);
    expect(new Set(saes.map((s) => s.path)).size).toBe(7);
    expect(problems).toEqual([`${dir}/l1 leads to a folder already scanned (${fs.realpathSync(dir)}): a symlink loop or a second link to it; skipped`, expect.stringContaining(`${dir}/l2 leads to a folder already scanned`)]);
  });

  it('a loop inside an SAE folder is a problem of that SAE', () => {
    const dir = loopFolder(true);
    const sae = path.join(dir, 'adhd_L2_hook_resid_post');
    fs.symlinkSync('..', path.join(sae, 'up'));
    const items = recognizeTree(dir, source(dir));
    const item = items.find((i) => i.path === sae)!;
    expect(item.problems).toEqual([expect.stringContaining(`${sae}/up leads to a folder already scanned`)]);
  });

  it('library add on the CLI: a loop alone is nothing usable (and says so); beside items it is reported as skipped', async () => {
    const home = temp('home');
    const bare = loopFolder(false);
    const refused = await cli(['library', 'add', bare, '--home', home]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/Nothing usable was found in .* \(.*l1 leads to a folder already scanned.*\)/);
    const mixed = loopFolder(true);
    const added = await cli(['library', 'add', mixed, '--home', home]);
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/Added .*: 11 item\(s\)\./);
    expect(added.out).toMatch(/Skipped: .*l1 leads to a folder already scanned/);
  });

  it('library.addFolder walks in the interactive worker while the core keeps answering; the scan job and files.verify log the loop', async () => {
    const home = temp('home');
    process.env.HF_HUB_CACHE = temp('empty-cache');
    cleanups.push(() => delete process.env.HF_HUB_CACHE);
    const core = createCore({ home, frontDoor: 'test' });
    cleanups.push(() => core.close());
    const dir = loopFolder(true);
    const adding = call<{ root: LibraryRoot; items: LibraryItem[]; problems: string[] }>(core, 'library.addFolder', { path: dir });
    // The core answers other calls while the worker starts and walks.
    let answered = 0;
    let slowest = 0;
    let done = false;
    void adding.finally(() => (done = true));
    while (!done) {
      const t = Date.now();
      await call(core, 'app.info', {});
      slowest = Math.max(slowest, Date.now() - t);
      answered++;
      await new Promise((r) => setTimeout(r, 10));
    }
    const added = await adding;
    expect(answered).toBeGreaterThan(3);
    expect(slowest).toBeLessThan(500);
    expect(added.items).toHaveLength(11);
    expect(added.problems).toEqual([expect.stringContaining('l1 leads to a folder already scanned'), expect.stringContaining('l2 leads to a folder already scanned')]);

    const scan = await call<JobView>(core, 'library.scan', {});
    expect((await waitForJob(core, scan.id, (j) => j.state === 'completed' || j.state === 'failed')).state).toBe('completed');
    const scanLog = await call<JobLogLine[]>(core, 'jobs.logs', { id: scan.id });
    expect(scanLog.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(expect.arrayContaining([expect.stringContaining('l1 leads to a folder already scanned')]));

    const verify = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [dir] } });
    const verified = await waitForJob(core, verify.id, (j) => j.state === 'completed' || j.state === 'failed');
    expect(verified.state).toBe('completed');
    const full = await call<JobView>(core, 'jobs.get', { id: verify.id });
    expect((full.result as { files: unknown[] }).files).toHaveLength(Object.keys(seedSaeRepoFiles()).length);
    const verifyLog = await call<JobLogLine[]>(core, 'jobs.logs', { id: verify.id });
    expect(verifyLog.map((l) => l.message)).toEqual(expect.arrayContaining([expect.stringContaining('l2 leads to a folder already scanned')]));
  }, 120_000);
});
