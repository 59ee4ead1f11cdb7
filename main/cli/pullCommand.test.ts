import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MockHubServer } from '../hub/testing/mockHubServer';
import { writeFixtureRepo } from '../hub/testing/fixtureRepo';
import { createCore } from '../api/core';
import { makeTempDir } from '../testing/tempDirs';
import { runCli } from './main';
import { progressLine } from './pullCommand';

let hub: MockHubServer;
let repo: ReturnType<MockHubServer['addRepo']>;
let fixture: string;
let cacheDir: string;
let home: string;
const dirs: (() => void)[] = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  hub = await MockHubServer.start();
  const f = makeTempDir('pull-fixture');
  dirs.push(f.cleanup);
  fixture = f.dir;
  writeFixtureRepo(fixture, { seed: 5, bigFileBytes: 200_000, blocks: 2 });
  repo = hub.addRepo({ repoId: 'team/saes', folder: fixture, refs: ['main', 'v1.0'] });
  hub.addRepo({ repoId: 'team/corpus', repoType: 'dataset', folder: fixture });
});
afterAll(async () => {
  await hub.close();
  dirs.forEach((d) => d());
  process.env = savedEnv;
});
beforeEach(() => {
  const c = makeTempDir('pull-cache');
  const h = makeTempDir('pull-home');
  dirs.push(c.cleanup, h.cleanup);
  cacheDir = c.dir;
  home = h.dir;
  Object.assign(process.env, { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cacheDir });
  delete process.env.HF_HUB_OFFLINE;
  delete process.env.HF_TOKEN;
});

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...args, '--home', home], { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('sae-workbench pull', () => {
  it('pulls filtered files at a tag into the HF cache, then reuses them offline', async () => {
    const r = await cli('pull', 'team/saes', '--revision', 'v1.0', '--include', 'blocks.1.hook_resid_post/', '--include', '*.md', '--exclude', '*.txt');
    expect(r.err).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const root = path.join(cacheDir, 'models--team--saes');
    expect(r.out).toContain(`team/saes@v1.0 (commit ${repo.commit}): 3 file(s), 3 downloaded`);
    expect(r.out).toContain(path.join(root, 'snapshots', repo.commit));
    expect(fs.readFileSync(path.join(root, 'refs', 'v1.0'), 'utf8')).toBe(repo.commit);
    const snapshot = path.join(root, 'snapshots', repo.commit);
    const listed: string[] = [];
    const walk = (d: string, pre: string): void => fs.readdirSync(d).forEach((n) => (fs.statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n), `${pre}${n}/`) : listed.push(`${pre}${n}`)));
    walk(snapshot, '');
    expect(listed.sort()).toEqual(['README.md', 'blocks.1.hook_resid_post/cfg.json', 'blocks.1.hook_resid_post/sae_weights.safetensors']);
    for (const p of listed) expect(fs.readFileSync(path.join(snapshot, p))).toEqual(fs.readFileSync(path.join(fixture, p)));
    expect(r.err).toContain('downloaded  blocks.1.hook_resid_post/sae_weights.safetensors');

    process.env.HF_HUB_OFFLINE = '1';
    const requests = hub.requests.length;
    const again = await cli('pull', 'team/saes', '--revision', 'v1.0', '--include', '*.md');
    expect(again.code).toBe(0);
    expect(again.out).toContain('1 file(s), 0 downloaded');
    const missing = await cli('pull', 'team/saes', '--revision', 'v1.0', '--include', 'model.safetensors');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/Offline mode is on/);
    expect(hub.requests.length).toBe(requests);
  }, 60_000);

  it('reports bad input with the value named and a non-zero exit', async () => {
    expect(await cli('pull', 'team/../x')).toMatchObject({ code: 1, err: expect.stringContaining('"team/../x" is not a valid Hub repo id') });
    expect(await cli('pull', 'team/saes', '--repo-type', 'space')).toMatchObject({ code: 1, err: expect.stringContaining('--repo-type "space"') });
    expect(await cli('pull', 'team/saes', '--revision', 'v9')).toMatchObject({ code: 1, err: expect.stringContaining('revision') });
    expect(await cli('pull', 'team/nothing')).toMatchObject({ code: 1, err: expect.stringContaining('does not exist') });
    expect(await cli('pull')).toMatchObject({ code: 1, err: expect.stringContaining('needs a repo') });
  }, 60_000);

  it('runs as a real process through bin/sae-workbench.mjs (dataset URL)', async () => {
    const bin = path.resolve(__dirname, '../../bin/sae-workbench.mjs');
    // Asynchronous spawn: the mock hub lives in this process and must keep answering.
    const child = spawn(process.execPath, [bin, 'pull', `${hub.url}/datasets/team/corpus`, '--include', 'config.json', '--home', home], { env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/Error/);
    expect(status).toBe(0);
    const commit = /commit ([0-9a-f]{40})/.exec(stdout)![1];
    expect(fs.readFileSync(path.join(cacheDir, 'datasets--team--corpus', 'snapshots', commit, 'config.json'))).toEqual(fs.readFileSync(path.join(fixture, 'config.json')));
  }, 60_000);

  it('queues through the running app when one holds the home, and follows the job to the end', async () => {
    const core = createCore({ home, frontDoor: 'test' });
    try {
      const r = await cli('pull', 'team/saes', '--include', 'config.json');
      expect(r.err).toContain('The app is running on');
      expect(r.code).toBe(0);
      expect(r.out).toContain('1 file(s), 1 downloaded');
      const jobs = await core.call('jobs.list', {});
      expect(jobs.ok && (jobs.result as { kind: string; state: string }[]).some((j) => j.kind === 'hub.download' && j.state === 'completed')).toBe(true);
      // Let the library rescan the download queued finish before the core closes.
      for (let i = 0; i < 600; i++) {
        const list = await core.call('jobs.list', {});
        if (!list.ok || (list.result as { state: string }[]).every((j) => !['queued', 'running'].includes(j.state))) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      await new Promise((res) => setTimeout(res, 200));
    } finally {
      await core.close();
    }
  }, 90_000);

  it('draws a progress line with bytes, rate, ETA and the active file', () => {
    const line = progressLine({ type: 'hub.download', repoId: 'a/b', commitSha: 'c'.repeat(40), bytes: 2_500_000, total: 10_000_000, bytesPerSecond: 1_250_000, etaSeconds: 6, filesDone: 1, filesTotal: 3, files: [{ path: 'w.safetensors', bytes: 2_000_000, total: 9_000_000, bytesPerSecond: 1_250_000, state: 'downloading' }] }, 8);
    expect(line).toBe('[##......]   25%  2.50 MB/10.0 MB  1.25 MB/s  ETA 00:06  files 1/3  w.safetensors');
  });
});
