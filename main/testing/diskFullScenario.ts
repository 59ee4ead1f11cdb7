/**
 * `node --import tsx main/testing/diskFullScenario.ts <dir> <demo bundle json>`, run on a small
 * tmpfs at <dir> (smallDisk.ts): issue 16's full disk, end to end. `serve` runs with its data
 * directory AND its stderr on that disk; the disk is filled to a few hundred kB, an index build
 * is queued and fills the rest; requests that log warnings arrive meanwhile. /health is asked
 * every 250 ms throughout and the core's CPU is sampled. Then the filler is removed and the job
 * is retried. Prints one JSON line with what it saw.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { JobView } from '../../preload/api';
import { httpGet, rawHttp } from './rawSockets';
import { ApiSocket } from './serverAbuse';

const [root, bundleJson] = process.argv.slice(2);
const began = Date.now();
const note = (what: string) => process.stderr.write(`[${((Date.now() - began) / 1000).toFixed(1)} s] ${what}\n`);
const demo = JSON.parse(bundleJson) as { models: Record<string, string>; saes: Record<string, string>; dataset: string };
const projectRoot = path.resolve(import.meta.dirname, '../..');
const home = path.join(root, 'home');
const renderer = path.join(root, 'renderer');
fs.mkdirSync(renderer, { recursive: true });
fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>SAE Workbench</title>');
const stderrFd = fs.openSync(path.join(root, 'serve.stderr'), 'a');

const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'main/cli/main.ts'), 'serve', '--port', '0', '--home', home, '--renderer', renderer], {
  cwd: projectRoot,
  env: { ...process.env, HF_HUB_OFFLINE: '1', SAE_WORKBENCH_EXIT_WITH_PARENT: '1' },
  stdio: ['ignore', 'pipe', stderrFd],
});
let out = '';
child.stdout!.on('data', (d) => (out += d));
const url = await new Promise<URL>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 60_000);
  child.stdout!.on('data', () => {
    const m = /Serving on (\S+)/.exec(out);
    if (m) {
      clearTimeout(timer);
      resolve(new URL(m[1]));
    }
  });
  child.once('exit', (code) => reject(new Error(`serve exited (${code})`)));
});
const port = Number(url.port);
note(`serve up on ${port}`);
const socket = await ApiSocket.open(port, url.searchParams.get('token')!);
let nextId = 1;
async function api<T>(method: string, params: unknown): Promise<{ ok: boolean; result?: T; error?: { code: string; message: string } }> {
  const id = nextId++;
  return ((await socket.send(JSON.stringify({ id, method, params }), id, 30_000)) ?? { ok: false, error: { code: 'NO_REPLY', message: 'no reply' } }) as never;
}

// /health every 250 ms: the slowest answer and the misses.
const health = { checks: 0, misses: 0, slowestMs: 0 };
let monitoring = true;
const monitor = (async () => {
  while (monitoring) {
    const t = Date.now();
    let ok = false;
    try {
      ok = (await Promise.race([httpGet(port, '/health'), new Promise<null>((r) => setTimeout(() => r(null), 2000))]))?.status === 200;
    } catch {
      ok = false;
    }
    health.checks++;
    if (!ok) health.misses++;
    health.slowestMs = Math.max(health.slowestMs, Date.now() - t);
    await new Promise((r) => setTimeout(r, 250));
  }
})();

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// Fill the disk, leaving `leave` bytes.
const filler = path.join(root, 'filler');
const leave = 400 * 1024;
const st = fs.statfsSync(root);
const fill = st.bavail * st.bsize - leave;
const fd = fs.openSync(filler, 'w');
const chunk = Buffer.alloc(1 << 20, 1);
for (let done = 0; done < fill; done += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, fill - done));
fs.closeSync(fd);

const added = await api<JobView>('index.build', { modelPath: demo.models.adhd, saePaths: [demo.saes.adhd], datasetPath: demo.dataset, maxDocuments: 1200, device: 'cpu' });
if (!added.ok) throw new Error(`index.build: ${JSON.stringify(added.error)}`);
const jobId = added.result!.id;
note(`disk filled (${leave} bytes left), job ${jobId} queued`);

async function waitJob(until: (j: JobView) => boolean, timeoutMs: number): Promise<JobView | null> {
  const end = Date.now() + timeoutMs;
  let last: JobView | null = null;
  while (Date.now() < end) {
    const r = await api<JobView>('jobs.get', { id: jobId });
    if (r.ok) {
      last = r.result!;
      if (until(last)) return last;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  return last;
}

const failed = await waitJob((j) => j.state === 'failed' || j.state === 'completed', 90_000);
note(`job: ${JSON.stringify(failed && { state: failed.state, error: failed.error, progress: failed.progressMessage })}`);
// While the disk is still full: requests that log warnings (echoed on stderr, on the full disk).
const cpu0 = cpuSeconds(child.pid!);
const t0 = Date.now();
for (let i = 0; i < 200; i++) await rawHttp(port, `GET / HTTP/1.1\r\nHost: evil.example:${port}\r\nConnection: close\r\n\r\n`, 2000).catch(() => null);
await new Promise((r) => setTimeout(r, 4000));
const cpuWhileFull = (cpuSeconds(child.pid!) - cpu0) / ((Date.now() - t0) / 1000);
const retryWhileFull = await api<JobView>('jobs.retry', { id: jobId });
note(`cpu while full ${cpuWhileFull.toFixed(2)}, retry while full: ${JSON.stringify(retryWhileFull.error ?? 'ok')}`);

// Space comes back; the state write that failed is written, and the job can be retried.
fs.rmSync(filler);
await new Promise((r) => setTimeout(r, 3000));
const stateOnDisk = failed ? await api<JobView>('jobs.get', { id: jobId }) : null;
const retried = retryWhileFull.ok ? retryWhileFull : await api<JobView>('jobs.retry', { id: jobId });
note(`space back; retry: ${JSON.stringify(retried.error ?? 'ok')}`);
const finished = retried.ok ? await waitJob((j) => j.state === 'completed' || j.state === 'failed', 120_000) : null;
note(`finished: ${JSON.stringify(finished && { state: finished.state, error: finished.error })}`);
monitoring = false;
await monitor;
const log = fs.existsSync(path.join(home, 'logs', 'core.log')) ? fs.readFileSync(path.join(home, 'logs', 'core.log'), 'utf8') : '';
socket.close();
child.kill('SIGTERM');
const exitCode = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
console.log(
  JSON.stringify({
    failed: failed && { state: failed.state, error: failed.error },
    cpuWhileFull,
    retryWhileFull: retryWhileFull.ok ? 'ok' : retryWhileFull.error?.code,
    afterSpace: stateOnDisk?.result?.state ?? null,
    retried: retried.ok ? 'ok' : retried.error,
    finished: finished && { state: finished.state, error: finished.error, attempts: finished.attempts },
    health,
    droppedLogNote: log.split('\n').filter((l) => /dropped/.test(l)).map((l) => JSON.parse(l).message),
    exitCode,
  }),
);
process.exit(0);
