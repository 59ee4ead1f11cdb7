/**
 * Jobs on a real one-node Slurm cluster (started here, as CI does), through both targets: `local`
 * (sbatch on this machine) and `ssh` (an OpenSSH server on 127.0.0.1 with a test key). A demo
 * training run sent there equals the same run here; requeue, pause/resume, cancel, an app restart
 * and a failure on the node behave as the Queue promises. These tests fail, never skip, when the
 * cluster or sshd cannot start.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView, LibraryListing } from '../../preload/api';
import { createCore, type Core } from '../api/core';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { readSafetensors, toFloat32 } from '../formats/safetensors';
import { runCliCaptured } from '../testing/cliRun';
import { call, waitForJob } from '../testing/coreCalls';
import { startSlurmCluster, type SlurmCluster } from '../testing/slurmCluster';
import { startSshServer, type SshServer } from '../testing/sshServer';
import { makeTempDir } from '../testing/tempDirs';
import { readCheckpointStep } from '../train/checkpoint';
import { readMetrics } from '../train/metricsLog';
import { sharedDemoBundle } from '../train/testing/demoFixture';
import { indexTables } from '../index/testing/indexTables';

const HOOK = 'blocks.2.hook_resid_post';
const STEPS = 90;
const projectRoot = path.resolve(import.meta.dirname, '../..');
const command = `${process.execPath} ${path.join(projectRoot, 'bin/sae-workbench.mjs')}`;

const tmp = makeTempDir('slurm-jobs');
let cluster: SlurmCluster;
let sshd: SshServer;
let demo: DemoBundlePaths;
let reference: string;

const trainParams = (extra: Record<string, unknown> = {}) => ({
  model: demo.models.adhd,
  hooks: [HOOK],
  dataset: demo.dataset,
  k: 4,
  dSae: 48,
  tokens: 256 * STEPS,
  batchSize: 256,
  lr: 0.003,
  device: 'cpu',
  evalTokens: 512,
  checkpointEverySteps: 3,
  seed: 11,
  ...extra,
});

const trainArgs = (out: string, home: string) => [
  'train', '--model', demo.models.adhd, '--hook', HOOK, '--dataset', demo.dataset, '--k', '4', '--d-sae', '48', '--tokens', String(256 * STEPS),
  '--batch-size', '256', '--lr', '0.003', '--device', 'cpu', '--eval-tokens', '512', '--checkpoint-every', '3', '--seed', '11', '--out', out, '--home', home,
];

function weights(dir: string): Record<string, Float32Array> {
  const st = readSafetensors(path.join(dir, 'sae_weights.safetensors'));
  return Object.fromEntries(['W_enc', 'W_dec', 'b_enc', 'b_dec'].map((n) => [n, toFloat32(st.get(n))]));
}

function expectSameWeights(a: string, b: string): void {
  const wa = weights(a);
  const wb = weights(b);
  for (const name of Object.keys(wa)) {
    expect(wb[name].length, name).toBe(wa[name].length);
    let worst = 0;
    for (let i = 0; i < wa[name].length; i++) worst = Math.max(worst, Math.abs(wa[name][i] - wb[name][i]));
    expect(worst, `${name}: largest difference`).toBeLessThanOrEqual(1e-6);
  }
}

function curve(runDir: string): number[][] {
  return readMetrics(runDir).points.map((p) => [p.step, p.loss, p.mse, p.fve, p.l0]);
}

function expectSameCurve(runDir: string): void {
  const a = curve(reference);
  const b = curve(runDir);
  expect(b.length).toBe(a.length);
  a.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(b[i][j] - v), `point ${i} column ${j}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v)))));
}

function addProfile(home: string, name: string, extra: string[] = []) {
  return runCliCaptured(['cluster', 'add', name, '--kind', 'slurm', '--workdir', path.join(tmp.dir, `work-${name}`), '--command', command, '--partition', cluster.partition, '--home', home, ...extra]);
}

/** The node's copy of the run folder (the job folder's home), where its checkpoints are. */
const nodeRun = (workdir: string, id: string) => path.join(workdir, id, 'home', 'runs', id);

async function untilCheckpoint(runDir: string, atLeast: number, job: () => Promise<JobView>): Promise<number> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const step = readCheckpointStep(runDir) ?? 0;
    if (step >= atLeast) return step;
    const j = await job();
    if (['completed', 'failed', 'cancelled'].includes(j.state) || Date.now() > deadline) throw new Error(`no checkpoint at step ${atLeast} (job ${j.state}, ${j.error?.message ?? ''})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  demo = sharedDemoBundle();
  cluster = await startSlurmCluster();
  sshd = await startSshServer(cluster.env);
  // The run everything below is held against: the same training, here, in this process.
  reference = path.join(tmp.dir, 'reference');
  const res = await runCliCaptured(trainArgs(reference, path.join(tmp.dir, 'ref-home')));
  expect(res.code, res.err).toBe(0);
}, 300_000);

afterAll(() => {
  sshd?.stop();
  cluster?.stop();
  tmp.cleanup();
});

describe('jobs on a Slurm cluster', () => {
  const home = path.join(tmp.dir, 'home');
  let core: Core;

  it('profiles: add (local and ssh), list --json, test shows the partition, remove', async () => {
    expect((await addProfile(home, 'here', ['--via', 'local'])).code).toBe(0);
    expect((await addProfile(home, 'login', ['--via', 'ssh', '--host', sshd.host])).code).toBe(0);
    const list = JSON.parse((await runCliCaptured(['cluster', 'list', '--json', '--home', home])).out) as { name: string; via: string; host: string | null }[];
    expect(list.map((p) => [p.name, p.via, p.host])).toEqual([['here', 'local', null], ['login', 'ssh', 'wb-login']]);
    for (const name of ['here', 'login']) {
      const t = await runCliCaptured(['cluster', 'test', name, '--home', home]);
      expect(t.code, t.err).toBe(0);
      expect(t.out).toMatch(/Slurm 22\.|Slurm \d+\./);
      expect(t.out).toMatch(new RegExp(`^${cluster.partition}\\*\\s+up`, 'm'));
    }
    expect((await addProfile(home, 'spare', ['--via', 'local'])).code).toBe(0);
    expect((await runCliCaptured(['cluster', 'remove', 'spare', '--home', home])).code).toBe(0);
    const again = await runCliCaptured(['cluster', 'test', 'spare', '--home', home]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('There is no cluster profile "spare"');
  }, 120_000);

  it('through the local target: the trained SAE lands in the Library and equals the run made here', async () => {
    core = createCore({ home, frontDoor: 'test' });
    const job = await call<JobView>(core, 'jobs.add', { kind: 'train.sae', params: trainParams(), target: 'here' });
    expect(job.target).toBe('here');
    const seen: string[] = [];
    const off = core.subscribe((e, p) => {
      const j = p as JobView;
      if (e === 'job.updated' && j.id === job.id && j.remote?.slurmState && seen[seen.length - 1] !== j.remote.slurmState) seen.push(j.remote.slurmState);
    });
    const done = await waitForJob(core, job.id, (j) => j.state === 'completed', 180_000);
    off();
    expect(done.remote?.slurmJobId).toMatch(/^\d+$/);
    expect(seen).toContain('RUNNING');
    expect(done.executionProvider).toBe('cpu');
    const sae = path.join(home, 'runs', job.id, 'saes', HOOK);
    expectSameWeights(path.join(reference, HOOK), sae);
    expectSameCurve(path.join(home, 'runs', job.id));
    const listing = await call<LibraryListing>(core, 'library.list', {});
    expect(listing.items.some((i) => i.kind === 'sae' && i.path === sae)).toBe(true);
    expect(fs.readFileSync(path.join(home, 'runs', job.id, 'results.sha256'), 'utf8')).toContain(`saes/${HOOK}/sae_weights.safetensors`);
    const logs = await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id });
    expect(logs.some((l) => l.message.startsWith('[node] '))).toBe(true);
  }, 240_000);

  it('scontrol requeue in the middle resumes from the checkpoint and ends with the same curve', async () => {
    const job = await call<JobView>(core, 'jobs.add', { kind: 'train.sae', params: trainParams(), target: 'here' });
    const running = await waitForJob(core, job.id, (j) => j.remote?.slurmState === 'RUNNING', 120_000);
    const at = await untilCheckpoint(nodeRun(path.join(tmp.dir, 'work-here'), job.id), 15, async () => call<JobView>(core, 'jobs.get', { id: job.id }));
    expect(at).toBeLessThan(STEPS);
    cluster.slurm('scontrol', ['requeue', running.remote!.slurmJobId!]);
    const done = await waitForJob(core, job.id, (j) => j.state === 'completed', 240_000);
    expect(done.remote?.slurmJobId).toBe(running.remote?.slurmJobId);
    const logs = (await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id, limit: 5000 })).map((l) => l.message);
    expect(logs.some((m) => /\[node\] Resum/.test(m))).toBe(true);
    expectSameCurve(path.join(home, 'runs', job.id));
    expectSameWeights(path.join(reference, HOOK), path.join(home, 'runs', job.id, 'saes', HOOK));
  }, 360_000);

  it('pause checkpoints and ends the Slurm job; resume submits again with --resume and finishes the same run', async () => {
    const job = await call<JobView>(core, 'jobs.add', { kind: 'train.sae', params: trainParams(), target: 'here' });
    await waitForJob(core, job.id, (j) => j.remote?.slurmState === 'RUNNING', 120_000);
    await untilCheckpoint(nodeRun(path.join(tmp.dir, 'work-here'), job.id), 9, async () => call<JobView>(core, 'jobs.get', { id: job.id }));
    await call(core, 'jobs.pause', { id: job.id });
    const paused = await waitForJob(core, job.id, (j) => j.state === 'paused', 120_000);
    const first = paused.remote!.slurmJobId!;
    expect(cluster.slurm('squeue', ['-h', '-t', 'all', '-j', first, '-o', '%T']).trim()).toBe('COMPLETED');
    await call(core, 'jobs.resume', { id: job.id });
    const done = await waitForJob(core, job.id, (j) => j.state === 'completed', 240_000);
    expect(done.remote?.slurmJobId).not.toBe(first);
    expect(done.remote?.previousSlurmJobIds).toEqual([first]);
    expect(fs.readFileSync(path.join(tmp.dir, 'work-here', job.id, 'job.sbatch'), 'utf8')).toMatch(/^RESUME=--resume$/m);
    expectSameCurve(path.join(home, 'runs', job.id));
  }, 360_000);

  it('cancel: the Slurm job is gone and the Queue says cancelled', async () => {
    const job = await call<JobView>(core, 'jobs.add', { kind: 'train.sae', params: trainParams(), target: 'here' });
    const running = await waitForJob(core, job.id, (j) => j.remote?.slurmState === 'RUNNING', 120_000);
    await call(core, 'jobs.cancel', { id: job.id });
    await waitForJob(core, job.id, (j) => j.state === 'cancelled', 120_000);
    expect(cluster.slurm('squeue', ['-h', '-t', 'all', '-j', running.remote!.slurmJobId!, '-o', '%T']).trim()).toBe('CANCELLED');
    expect(cluster.slurm('squeue', ['-h', '-j', running.remote!.slurmJobId!]).trim()).toBe('');
  }, 240_000);

  it('an app restarted while the job runs on the cluster follows it again to the end', async () => {
    const job = await call<JobView>(core, 'jobs.add', { kind: 'train.sae', params: trainParams(), target: 'here' });
    await waitForJob(core, job.id, (j) => j.remote?.slurmState === 'RUNNING', 120_000);
    await core.close();
    core = createCore({ home, frontDoor: 'test' });
    const back = await call<JobView>(core, 'jobs.get', { id: job.id });
    expect(['running', 'completed']).toContain(back.state);
    const done = await waitForJob(core, job.id, (j) => j.state === 'completed', 240_000);
    expect(done.attempts).toBe(1);
    expectSameWeights(path.join(reference, HOOK), path.join(home, 'runs', job.id, 'saes', HOOK));
  }, 360_000);

  it('the ssh connection drops while the job runs: the queue keeps asking, less often, and follows it to the end when the login node answers again', async () => {
    const job = await call<JobView>(core, 'jobs.add', { kind: 'train.sae', params: trainParams(), target: 'login' });
    await waitForJob(core, job.id, (j) => j.remote?.slurmState === 'RUNNING', 120_000);
    const messages = async () => (await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id, limit: 5000 })).map((l) => l.message);
    await sshd.interrupt();
    try {
      const deadline = Date.now() + 60_000;
      while (!(await messages()).some((m) => /cannot reach the cluster.*Following it again when the cluster answers/.test(m))) {
        if (Date.now() > deadline) throw new Error(`no "cannot reach" line while ssh was down: ${(await messages()).slice(-5).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      // Down is not failed: the job runs on, on the cluster.
      expect((await call<JobView>(core, 'jobs.get', { id: job.id })).state).toBe('running');
    } finally {
      await sshd.resume();
    }
    const done = await waitForJob(core, job.id, (j) => j.state === 'completed', 240_000);
    expect(done.attempts).toBe(1);
    expect(await messages()).toContain(`ssh ${sshd.host} answers again.`);
    expectSameWeights(path.join(reference, HOOK), path.join(home, 'runs', job.id, 'saes', HOOK));
    expectSameCurve(path.join(home, 'runs', job.id));
  }, 360_000);

  it('a job near its time limit checkpoints on USR1; a TIMEOUT is resubmitted from the checkpoint as often as the profile allows', async () => {
    // A one-minute limit with USR1 40 s before it: every submission runs about 20 s, never the whole job
    // (a million steps: no machine finishes them in 40 s; 20k steps, once, did on a quiet one).
    expect((await addProfile(home, 'short', ['--via', 'local', '--time', '1', '--sbatch', 'signal=B:USR1@40', '--max-resubmits', '1'])).code).toBe(0);
    const job = await call<JobView>(core, 'jobs.add', { kind: 'train.sae', params: trainParams({ tokens: 256 * 1_000_000, loopDataset: true, checkpointEverySteps: 50 }), target: 'short' });
    const end = await waitForJob(core, job.id, (j) => j.state === 'failed', 300_000);
    expect(end.error?.code).toBe('SLURM_TIMEOUT');
    expect(end.error?.message).toContain('after 1 resubmit');
    expect(end.remote?.previousSlurmJobIds).toHaveLength(1);
    const logs = (await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id, limit: 5000 })).map((l) => l.message);
    expect(logs.some((m) => /reached its time limit \(1\): resubmitting from its checkpoint \(1 of 1\)/.test(m))).toBe(true);
    // The second submission continued where the first stopped, from the checkpoint USR1 made.
    const resumedAt = logs.map((m) => /\[node\] Resuming at step (\d+)/.exec(m)?.[1]).find(Boolean);
    expect(Number(resumedAt)).toBeGreaterThan(0);
  }, 360_000);

  it('a job that fails on the node (a bad path) shows the node\'s error and its log', async () => {
    const bad = '/nonexistent/cluster-only/dataset.jsonl';
    const job = await call<JobView>(core, 'jobs.add', { kind: 'train.sae', params: trainParams({ dataset: bad }), target: 'here' });
    const failed = await waitForJob(core, job.id, (j) => j.state === 'failed', 180_000).catch(async () => call<JobView>(core, 'jobs.get', { id: job.id }));
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toContain(bad);
    expect(failed.error?.message).toMatch(/on Slurm job \d+/);
    const logs = (await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id, limit: 5000 })).map((l) => l.message);
    expect(logs.some((m) => m.startsWith('[node] ') && m.includes(bad))).toBe(true);
    expect(logs.some((m) => m.startsWith('Slurm output') && m.includes('sae-workbench: job'))).toBe(true);
    await core.close();
  }, 240_000);

  it('a sharded index built as a Slurm array (a task per shard, then the join) equals the unsharded index built here', async () => {
    const lines = fs.readFileSync(demo.dataset, 'utf8').split('\n').slice(0, 60);
    lines.splice(21, 0, '');
    const dataset = path.join(tmp.dir, 'docs.jsonl');
    fs.writeFileSync(dataset, `${lines.join('\n')}\n`);
    const args = (h: string) => ['index', '--model', demo.models.adhd, '--sae', demo.saes.adhd, '--dataset', dataset, '--context-size', '16', '--device', 'cpu', '--home', h];
    const localHome = path.join(tmp.dir, 'index-here');
    const here = await runCliCaptured(args(localHome));
    expect(here.code, here.err).toBe(0);
    const there = await runCliCaptured([...args(home), '--shards', '3', '--on', 'here']);
    expect(there.code, there.err).toBe(0);
    const a = JSON.parse(here.out.trim()) as { index_ids: string[]; tokens: number; documents: number; skipped_rows: number };
    const b = JSON.parse(there.out.trim()) as { index_ids: string[]; tokens: number; documents: number; skipped_rows: number; slurm_job_id: string };
    expect([b.tokens, b.documents, b.skipped_rows]).toEqual([a.tokens, a.documents, a.skipped_rows]);
    expect(b.slurm_job_id).toMatch(/^\d+$/);
    const ta = indexTables(localHome, a.index_ids[0]);
    const tb = indexTables(home, b.index_ids[0]);
    for (const t of Object.keys(ta)) expect(tb[t], `table ${t}`).toEqual(ta[t]);
    // It was an array of three tasks, and the index is registered here, ready.
    const job = (JSON.parse((await runCliCaptured(['jobs', 'list', '--json', '--home', home])).out) as JobView[]).find((j) => j.remote?.slurmJobId === b.slurm_job_id)!;
    expect(job.remote?.parts).toBe(3);
    expect(cluster.slurm('squeue', ['-h', '-t', 'all', '-j', job.remote!.arrayJobId!, '-o', '%T']).trim().split('\n')).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    const list = JSON.parse((await runCliCaptured(['index', 'list', '--json', '--home', home])).out) as { id: string; state: string }[];
    expect(list.find((i) => i.id === b.index_ids[0])?.state).toBe('ready');
    // Each shard's own log came home into the job's log, named by its part.
    const reader = createCore({ home, frontDoor: 'test' });
    try {
      const logs = (await call<{ message: string }[]>(reader, 'jobs.logs', { id: job.id, limit: 5000 })).map((l) => l.message);
      for (const part of [1, 2, 3]) expect(logs.some((m) => m.startsWith(`[part ${part}] `)), `part ${part}'s log`).toBe(true);
    } finally {
      await reader.close();
    }
  }, 300_000);

  it('through ssh with copied inputs: they go to the work folder, sha256 checked, and the index brought home names them where they are here', async () => {
    expect((await addProfile(home, 'copying', ['--via', 'ssh', '--host', sshd.host, '--copy-inputs'])).code).toBe(0);
    const res = await runCliCaptured(['index', '--model', demo.models.adhd, '--sae', demo.saes.adhd, '--dataset', demo.dataset, '--max-documents', '20', '--context-size', '16', '--device', 'cpu', '--on', 'copying', '--home', home]);
    expect(res.code, res.err).toBe(0);
    const out = JSON.parse(res.out.trim()) as { index_ids: string[]; slurm_job_id: string };
    const job = (JSON.parse((await runCliCaptured(['jobs', 'list', '--json', '--home', home])).out) as JobView[]).find((j) => j.remote?.slurmJobId === out.slurm_job_id && j.target === 'copying')!;
    const copies = path.join(tmp.dir, 'work-copying', 'inputs');
    const sent = JSON.parse(fs.readFileSync(path.join(job.remote!.jobDir, 'params.json'), 'utf8')) as { modelPath: string; saePaths: string[]; datasetPath: string };
    for (const p of [sent.modelPath, sent.saePaths[0], sent.datasetPath]) expect(p.startsWith(`${copies}/`), p).toBe(true);
    const manifest = fs.readFileSync(path.join(job.remote!.jobDir, 'inputs.sha256'), 'utf8');
    expect(manifest).toMatch(new RegExp(`^[0-9a-f]{64}  ${copies}/[^ ]+/adhd/config\\.json$`, 'm'));
    expect(manifest).toMatch(/dataset\.jsonl$/m);
    const list = JSON.parse((await runCliCaptured(['index', 'list', '--json', '--home', home])).out) as { id: string; state: string; modelPath: string; saePath: string; datasetPath: string; stale: string | null }[];
    const ix = list.find((i) => i.id === out.index_ids[0])!;
    expect([ix.state, ix.modelPath, ix.saePath, ix.datasetPath, ix.stale]).toEqual(['ready', demo.models.adhd, demo.saes.adhd, demo.dataset, null]);
  }, 240_000);

  it('through the ssh target from the CLI: the same progress, the same JSON line plus slurm_job_id, the same SAE', async () => {
    const out = path.join(tmp.dir, 'out-ssh');
    const res = await runCliCaptured([...trainArgs(out, home), '--on', 'login']);
    expect(res.code, res.err).toBe(0);
    const lines = res.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const json = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['ce_loss_score', 'dead_pct', 'dense_pct', 'duplicate_pct', 'fve', 'kl_score', 'l0', 'out', 'slurm_job_id', 'tokens_per_s']);
    expect(json.out).toBe(path.join(out, HOOK));
    expect(json.slurm_job_id).toMatch(/^\d+$/);
    const local = JSON.parse((await runCliCaptured(['eval', '--model', demo.models.adhd, '--sae', path.join(reference, HOOK), '--dataset', demo.dataset, '--tokens', '512', '--device', 'cpu', '--json'])).out) as Record<string, number>;
    expect(json.fve as number).toBeCloseTo(local.fve, 6);
    expectSameWeights(path.join(reference, HOOK), path.join(out, HOOK));
  }, 240_000);
});

describe('bad input: each a clear error on the job, nothing local lost or half-registered', () => {
  const home = path.join(tmp.dir, 'home-bad');
  let core: Core;

  async function failedJob(target: string): Promise<JobView> {
    const job = await call<JobView>(core, 'jobs.add', { kind: 'train.sae', params: trainParams(), target });
    const end = await waitForJob(core, job.id, (j) => j.state === 'failed', 120_000);
    // Nothing was brought home or registered.
    expect(fs.existsSync(path.join(home, 'runs', job.id, 'saes'))).toBe(false);
    return end;
  }

  beforeAll(() => {
    core = createCore({ home, frontDoor: 'test' });
  });
  afterAll(async () => {
    await core?.close();
  });

  it('an unreachable host and an ssh key the server refuses', async () => {
    expect((await addProfile(home, 'down', ['--via', 'ssh', '--host', sshd.downHost])).code).toBe(0);
    expect((await addProfile(home, 'badkey', ['--via', 'ssh', '--host', sshd.badKeyHost])).code).toBe(0);
    const t = await runCliCaptured(['cluster', 'test', 'down', '--home', home]);
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/ssh wb-down: cannot reach the cluster \(.*Connection refused/);
    expect((await failedJob('down')).error?.code).toBe('CLUSTER_UNREACHABLE');
    const auth = await failedJob('badkey');
    expect(auth.error?.code).toBe('CLUSTER_AUTH_FAILED');
    expect(auth.error?.message).toContain('Permission denied');
    expect(auth.error?.hint).toContain('never asks for a password');
  }, 120_000);

  it('sbatch refusing the job is Slurm\'s own message', async () => {
    expect((await addProfile(home, 'nopart', ['--via', 'local'])).code).toBe(0);
    await call(core, 'cluster.add', { profile: { ...(await call<Record<string, unknown>[]>(core, 'cluster.list', {})).find((p) => p.name === 'nopart'), partition: 'nosuchpartition' }, replace: true });
    const end = await failedJob('nopart');
    expect(end.error?.code).toBe('SBATCH_REJECTED');
    expect(end.error?.message).toMatch(/sbatch: error: .*invalid partition/i);
    expect(end.error?.hint).toContain('partition');
  }, 120_000);

  it('a remote command of another version, or one that is not this app, is refused with both versions', async () => {
    const other = path.join(tmp.dir, 'old-workbench.sh');
    fs.writeFileSync(other, '#!/bin/sh\necho "sae-workbench 0.0.1"\n', { mode: 0o755 });
    expect((await runCliCaptured(['cluster', 'add', 'old', '--kind', 'slurm', '--via', 'ssh', '--host', sshd.host, '--workdir', path.join(tmp.dir, 'work-old'), '--command', other, '--home', home])).code).toBe(0);
    const old = await failedJob('old');
    expect(old.error?.code).toBe('CLUSTER_VERSION_MISMATCH');
    expect(old.error?.message).toMatch(/is SAE Workbench 0\.0\.1; this app is \d+\.\d+\.\d+/);
    expect((await runCliCaptured(['cluster', 'add', 'notapp', '--kind', 'slurm', '--via', 'local', '--workdir', path.join(tmp.dir, 'work-x'), '--command', '/bin/echo hello', '--home', home])).code).toBe(0);
    const t = await runCliCaptured(['cluster', 'test', 'notapp', '--home', home]);
    expect(t.code).toBe(1);
    expect(t.err).toContain('is not SAE Workbench');
  }, 120_000);

  it('a full disk on the cluster', async () => {
    const full = path.join(tmp.dir, 'full-disk');
    fs.mkdirSync(full);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
    try {
      fs.writeFileSync(path.join(full, 'filler'), Buffer.alloc(256 * 1024), { flag: 'w' });
    } catch {
      // full now
    }
    try {
      expect((await runCliCaptured(['cluster', 'add', 'fulldisk', '--kind', 'slurm', '--via', 'ssh', '--host', sshd.host, '--workdir', full, '--command', command, '--home', home])).code).toBe(0);
      const end = await failedJob('fulldisk');
      expect(end.error?.code).toBe('DISK_FULL');
      expect(end.error?.message).toContain(full);
    } finally {
      execFileSync('umount', [full]);
    }
  }, 120_000);

  it('kinds that only touch local files, and unknown profiles, are refused before anything is queued', async () => {
    const verify = await runCliCaptured(['jobs', 'add', 'files.verify', '--params', '{"paths":["/etc/hostname"]}', '--on', 'here', '--home', home]);
    expect(verify.code).toBe(1);
    expect(verify.err).toContain('files.verify jobs only touch files on this machine');
    const unknown = await runCliCaptured([...trainArgs(path.join(tmp.dir, 'x'), home), '--on', 'nowhere']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('There is no cluster profile "nowhere"');
    const api = await core.call('jobs.add', { kind: 'library.scan', params: {}, target: 'nopart' });
    expect(api.ok ? null : api.error.code).toBe('KIND_RUNS_LOCALLY');
  });
});
