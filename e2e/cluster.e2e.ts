/**
 * A Slurm cluster from the UI (issue 20): Settings -> add the test cluster (a real one-node Slurm
 * reached over ssh on 127.0.0.1) -> Test connection shows its partition; then a training run
 * queued on it from the Training page goes PENDING -> RUNNING -> done, its curves drawing live
 * and its SAE coming home. The cluster and sshd are started here and fail the test when they
 * cannot start.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoBundleDir } from '../main/demo/demoBundle';
import { SSH_CONFIG_ENV } from '../main/cluster/clusterShell';
import { startSlurmCluster, type SlurmCluster } from '../main/testing/slurmCluster';
import { startSshServer, type SshServer } from '../main/testing/sshServer';
import { sharedDemoBundle } from '../main/train/testing/demoFixture';
import { launchBrowser, openApp, pageSettled, projectRoot, screenshot, serveApp, tempHome, type ServedApp } from './harness';

let app: ServedApp;
let browser: Browser;
let cluster: SlurmCluster;
let sshd: SshServer;
let workdir: string;

beforeAll(async () => {
  const home = tempHome('cluster');
  fs.cpSync(sharedDemoBundle().root, demoBundleDir(home), { recursive: true });
  cluster = await startSlurmCluster();
  sshd = await startSshServer(cluster.env);
  workdir = tempHome('cluster-work');
  app = await serveApp({ home, env: { HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9', [SSH_CONFIG_ENV]: sshd.config, ...cluster.env } });
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  sshd?.stop();
  cluster?.stop();
});

describe('Slurm cluster from the UI', () => {
  it('Settings: add the test cluster; Test connection shows its partition; a bad host says why', async () => {
    const { page, errors } = await openApp(browser, app);
    await page.goto(`${app.url}#/settings`);
    const panel = page.getByLabel('Clusters');
    await panel.getByRole('button', { name: 'Add a cluster' }).click();
    const form = panel.getByRole('form', { name: 'New cluster' });
    await form.getByLabel('Cluster name').fill('lab');
    await form.getByLabel('SSH host').fill(sshd.host);
    await form.getByLabel('Work folder').fill(workdir);
    await form.getByLabel('Remote command').fill(`${process.execPath} ${path.join(projectRoot, 'bin/sae-workbench.mjs')}`);
    await form.getByLabel('Partition').fill(cluster.partition);
    await form.getByLabel('Time limit').fill('00:30:00');
    await form.getByRole('textbox', { name: 'Environment lines', exact: true }).fill('export OMP_NUM_THREADS=1');
    await screenshot(page, 'settings-cluster-form');
    await form.getByRole('button', { name: 'Add cluster' }).click();
    // Saving tests the connection: sinfo's partitions, and the remote command's version.
    const test = panel.getByRole('status', { name: 'Test of lab' });
    await test.waitFor({ timeout: 60_000 });
    await expect(test.innerText()).resolves.toContain('Reached Slurm');
    await expect(panel.getByRole('table', { name: 'Partitions of lab' }).innerText()).resolves.toMatch(new RegExp(`${cluster.partition} \\(default\\)\\s+up`));
    await pageSettled(page);
    await screenshot(page, 'settings-cluster-tested');

    // An edit that breaks it: the test shows ssh's own reason, and the profile stays listed.
    await panel.locator('[data-cluster="lab"]').getByRole('button', { name: 'Edit' }).click();
    const edit = panel.getByRole('form', { name: 'Edit cluster lab' });
    await edit.getByLabel('SSH host').fill(sshd.downHost);
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => panel.locator('[data-cluster="lab"] [role="alert"]').innerText(), { timeout: 60_000 }).toContain('cannot reach the cluster');
    await screenshot(page, 'settings-cluster-unreachable');
    await panel.locator('[data-cluster="lab"]').getByRole('button', { name: 'Edit' }).click();
    await panel.getByRole('form', { name: 'Edit cluster lab' }).getByLabel('SSH host').fill(sshd.host);
    await panel.getByRole('form', { name: 'Edit cluster lab' }).getByRole('button', { name: 'Save' }).click();
    await panel.getByRole('status', { name: 'Test of lab' }).waitFor({ timeout: 60_000 });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('Training page: a run on the cluster goes PENDING -> RUNNING -> done with live curves, and its SAE comes home', { timeout: 420_000 }, async () => {
    const { page, errors } = await openApp(browser, app);
    // The node is drained: the job waits in PENDING, with Slurm's reason, until it is resumed.
    cluster.slurm('scontrol', ['update', `NodeName=${cluster.nodeName}`, 'State=DRAIN', 'Reason=e2e']);
    await page.goto(`${app.url}#/training?new=1`);
    const form = page.getByLabel('New training run');
    await form.getByRole('button', { name: 'Demo adhd · layer 2' }).waitFor({ timeout: 60_000 });
    await form.getByRole('button', { name: 'Demo adhd · layer 2' }).click();
    await form.getByRole('combobox', { name: 'Device' }).selectOption('cpu');
    await form.getByLabel('Training tokens').fill('60000');
    await form.getByRole('combobox', { name: 'Run on', exact: true }).selectOption('lab');
    await screenshot(page, 'training-form-run-on-cluster');
    const runOf = (url: URL) => new URLSearchParams(url.hash.split('?')[1] ?? '').get('run');
    await form.getByRole('button', { name: 'Start training' }).click();
    await page.waitForURL((url) => runOf(url) !== null);
    const id = runOf(new URL(page.url()))!;
    const row = page.locator(`tr[data-job-id="${id}"]`);
    await expect.poll(() => row.locator('[data-testid="run-slurm"]').innerText(), { timeout: 60_000 }).toMatch(/on lab · Slurm \d+ PENDING \(\w+/);
    // Submitted but held back by Slurm: the badge says pending, not running.
    await expect(row.locator('.state').first().innerText()).resolves.toBe('pending');
    await screenshot(page, 'training-cluster-pending');

    // The Queue says the same, with the reason.
    await page.goto(`${app.url}#/queue`);
    await expect.poll(() => page.locator(`tr[data-job-id="${id}"] [data-testid="job-slurm"]`).innerText(), { timeout: 30_000 }).toMatch(/PENDING \(/);
    await screenshot(page, 'queue-cluster-pending');

    cluster.slurm('scontrol', ['update', `NodeName=${cluster.nodeName}`, 'State=RESUME']);
    await page.goto(`${app.url}#/training?run=${id}`);
    await expect.poll(() => row.locator('[data-testid="run-slurm"]').innerText(), { timeout: 120_000 }).toMatch(new RegExp(`RUNNING on ${cluster.nodeName}`));
    // Live: the curves draw from the node's metrics while the job still runs there.
    const runPanel = page.getByLabel('Training run');
    await runPanel.getByRole('figure', { name: 'MSE chart' }).locator('g[aria-label="line"] path').first().waitFor({ timeout: 120_000 });
    const stateWhileDrawing = await row.getAttribute('data-state');
    expect(['running', 'completed']).toContain(stateWhileDrawing);
    if (stateWhileDrawing === 'running') {
      await pageSettled(page);
      await screenshot(page, 'training-cluster-live');
    }
    await page.locator(`tr[data-job-id="${id}"][data-state="completed"]`).waitFor({ timeout: 300_000 });
    await runPanel.getByLabel('Held-out evaluation').waitFor({ timeout: 30_000 });
    await expect(row.locator('[data-testid="run-slurm"]').innerText()).resolves.toMatch(/COMPLETED/);
    await pageSettled(page);
    await screenshot(page, 'training-cluster-done');

    // The SAE came home and is in the Library, as a local run's would be.
    const sae = path.join(app.home, 'runs', id, 'saes', 'blocks.2.hook_resid_post');
    expect(fs.existsSync(path.join(sae, 'sae_weights.safetensors'))).toBe(true);
    await page.goto(`${app.url}#/library`);
    await expect.poll(() => page.getByText(`trained here, job ${id}`).count(), { timeout: 30_000 }).toBeGreaterThan(0);

    // The Queue's detail: Slurm job, state, node, job folder.
    await page.goto(`${app.url}#/queue?job=${id}`);
    const detail = page.locator('div.job-detail');
    await detail.waitFor();
    await expect(detail.innerText()).resolves.toMatch(/Slurm job\s+\d+/);
    await expect(detail.innerText()).resolves.toContain(path.join(workdir, id));
    await pageSettled(page);
    await screenshot(page, 'queue-cluster-detail');

    // The other forms whose kinds run on a cluster offer it too: the index form, Evaluate and the crosscoder form.
    await page.goto(`${app.url}#/features`);
    await expect.poll(() => page.locator('select[aria-label="Index run on"] option[value="lab"]').count(), { timeout: 30_000 }).toBe(1);
    await page.goto(`${app.url}#/training`);
    await expect.poll(() => page.locator('select[aria-label="Evaluation run on"] option[value="lab"]').count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => page.locator('select[aria-label="Crosscoder run on"] option[value="lab"]').count(), { timeout: 30_000 }).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });
});
