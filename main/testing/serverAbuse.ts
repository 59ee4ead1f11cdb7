/**
 * The abuse suite against a real browser-mode process (`sae-workbench serve` in a child): malformed
 * HTTP request targets and headers, WebSocket protocol violations from a raw-socket client, random
 * API messages, and API calls that point the core at symlink loops, FIFOs and NaN weights. After
 * every case the server must still answer /health, the case must have got a clear answer (a 4xx,
 * a close code, an error code other than INTERNAL), and nothing may be written outside the data
 * directory. main/server/abuse.test.ts runs a bounded set in CI; bench/abuseSuite.ts runs 10,000.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { MAX_WIRE_REQUEST_BYTES, contract } from '../../preload/api';
import { SeededRandom } from '../random/seededRandom';
import { damageFile, snapshotTree, writeLoaderFixture, type LoaderFixture } from './loaderAbuse';
import { encodeFrame, isHealthy, rawHttp, rawWebSocket, type FrameSpec } from './rawSockets';

const projectRoot = path.resolve(import.meta.dirname, '../..');

export interface ServedCore {
  port: number;
  token: string;
  home: string;
  renderer: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** `serve` in a child process on a free port, offline (no Hub traffic), with a stand-in renderer. */
export async function serveForAbuse(root: string): Promise<ServedCore> {
  const home = path.join(root, 'home');
  const renderer = path.join(root, 'renderer');
  const cache = path.join(root, 'hf-cache');
  fs.mkdirSync(renderer, { recursive: true });
  fs.mkdirSync(cache, { recursive: true });
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>SAE Workbench</title>');
  fs.writeFileSync(path.join(renderer, 'app.js'), 'console.log("app")');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'main/cli/main.ts'), 'serve', '--port', '0', '--home', home, '--renderer', renderer], {
    cwd: projectRoot,
    env: { ...process.env, HF_HUB_OFFLINE: '1', HF_HUB_CACHE: cache, HF_ENDPOINT: 'http://127.0.0.1:9' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', () => {
      const m = /Serving on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(new URL(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${out}`)));
  });
  return {
    port: Number(url.port),
    token: url.searchParams.get('token')!,
    home,
    renderer,
    child,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

/** Counts per category and outcome, and every failure in words. */
interface CategoryTally {
  cases: number;
  outcomes: Map<string, number>;
  failures: string[];
  ms: number;
}

export class AbuseReport {
  readonly categories = new Map<string, CategoryTally>();
  healthChecks = 0;

  record(category: string, outcome: string, ms: number, failure?: string): void {
    const c: CategoryTally = this.categories.get(category) ?? { cases: 0, outcomes: new Map<string, number>(), failures: [], ms: 0 };
    c.cases++;
    c.ms += ms;
    c.outcomes.set(outcome, (c.outcomes.get(outcome) ?? 0) + 1);
    if (failure) c.failures.push(failure);
    this.categories.set(category, c);
  }

  get failures(): string[] {
    return [...this.categories.entries()].flatMap(([k, c]) => c.failures.map((f) => `${k}: ${f}`));
  }

  get cases(): number {
    return [...this.categories.values()].reduce((n, c) => n + c.cases, 0);
  }

  lines(): string[] {
    const out: string[] = [];
    for (const [name, c] of this.categories) {
      const top = [...c.outcomes.entries()].sort((a, b) => b[1] - a[1]);
      out.push(`${name.padEnd(28)} ${String(c.cases).padStart(6)} cases  ${String(c.failures.length).padStart(3)} failed  ${(c.ms / Math.max(1, c.cases)).toFixed(1).padStart(7)} ms/case  ${top.slice(0, 8).map(([k, n]) => `${k}:${n}`).join(' ')}${top.length > 8 ? ` (+${top.length - 8} more)` : ''}`);
    }
    return out;
  }
}

/** A sandbox of things to point the API at, and a record of it to prove nothing was written there. */
export interface Sandbox {
  root: string;
  fixture: LoaderFixture;
  loop: string;
  fifo: string;
  socket: string;
  nanModel: string;
  paths: string[];
  snapshot(): Map<string, string>;
  close(): Promise<void>;
}

export async function makeSandbox(root: string): Promise<Sandbox> {
  fs.mkdirSync(root, { recursive: true });
  const fixture = writeLoaderFixture(path.join(root, 'fixture'));
  const loop = path.join(root, 'loop');
  fs.mkdirSync(loop);
  fs.symlinkSync('.', path.join(loop, 'l1'));
  fs.symlinkSync('.', path.join(loop, 'l2'));
  fs.cpSync(fixture.sae, path.join(loop, 'sae_L1_hook_resid_post'), { recursive: true });
  const fifo = path.join(root, 'pipe.jsonl');
  await new Promise<void>((resolve, reject) => spawn('mkfifo', [fifo]).on('exit', (c) => (c === 0 ? resolve() : reject(new Error('mkfifo')))));
  const socket = path.join(root, 'sock.json');
  const server = net.createServer().listen(socket);
  await new Promise((r) => server.once('listening', r));
  const nanModel = path.join(root, 'nan-model');
  fs.cpSync(fixture.model, nanModel, { recursive: true });
  await damageFile(path.join(nanModel, 'model.safetensors'), 'nan');
  const paths = [root, fixture.sae, fixture.model, fixture.acts, ...Object.values(fixture.datasets), loop, fifo, socket, nanModel, path.join(root, 'missing'), '/', '/etc/passwd', '../../..', 'relative/path', '\0nul', 'C:\\Windows'];
  return {
    root,
    fixture,
    loop,
    fifo,
    socket,
    nanModel,
    paths,
    snapshot: () => snapshotTree(root),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Compare two snapshots: what appeared, vanished or changed. */
export function treeChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [p, v] of after) if (before.get(p) !== v) changes.push(`${before.has(p) ? 'changed' : 'created'} ${p}`);
  for (const p of before.keys()) if (!after.has(p)) changes.push(`removed ${p}`);
  return changes;
}

// ---------------------------------------------------------------------------------------------
// HTTP

export const FIXED_TARGETS = ['//', '///', '/\\', '//x', '/\\evil.example', '//evil.example/x', '*', 'http://evil.example/', 'x', '', '/%', '/%E0%A4%A', '/%00', '/..%2F..%2Fetc%2Fpasswd', '/../../etc/passwd', '/./././', '/app.js?//x', '/?token=\\', '/' + 'a'.repeat(9000), '/%2F%2F', '/\u00e9', '/a\tb'];

function randomTarget(rng: SeededRandom): string {
  const atoms = ['/', '//', '\\', '%', '%2F', '%00', '%E0%A4', '..', '.', '?', '#', '&', '=', 'api', 'health', 'token', 'app.js', 'index.html', '\u00e9', ' ', '\t', '@', ':', 'http:', '~', '*'];
  let t = rng.next() < 0.8 ? '/' : '';
  const n = 1 + rng.int(8);
  for (let i = 0; i < n; i++) t += rng.pick(atoms);
  return t;
}

function randomHost(rng: SeededRandom, port: number): string | null {
  return rng.pick([`127.0.0.1:${port}`, `localhost:${port}`, `evil.example:${port}`, `127.0.0.1`, `LOCALHOST:${port}`, `127.0.0.1:${port + 1}`, '', '[::1]', null, `127.0.0.1:${port}\r\nX-Injected: 1`]);
}

/** One raw HTTP request; the outcome is the status (or "closed"), a failure when the server answered 5xx. */
export async function httpCase(port: number, request: string): Promise<{ outcome: string; failure?: string }> {
  const res = await rawHttp(port, request, 5000);
  const outcome = res.status ? String(res.status) : 'closed';
  return { outcome, failure: res.status >= 500 ? `answered ${res.status} to ${JSON.stringify(request.slice(0, 80))}` : undefined };
}

export function httpRequests(port: number, rng: SeededRandom | null, count: number): string[] {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  if (!rng) {
    return [
      ...FIXED_TARGETS.map((t) => `GET ${t} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`),
      'GET // HTTP/1.1\r\nHost: x\r\n\r\n',
      `GET / HTTP/1.1\r\nHost: evil.example:${port}\r\nConnection: close\r\n\r\n`,
      `POST / HTTP/1.1\r\n${host}Content-Length: 5\r\nConnection: close\r\n\r\nhello`,
      `GET / HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'GARBAGE\r\n\r\n',
      '\x00\x01\x02\x03\r\n\r\n',
      `GET / HTTP/9.9\r\n${host}\r\n`,
      `GET /api?token=x HTTP/1.1\r\n${host}Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
    ].slice(0, count);
  }
  return Array.from({ length: count }, () => {
    const method = rng.pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'OPTIONS', 'DELETE', 'G\u00c9T', '']);
    const h = randomHost(rng, port);
    const extra = rng.next() < 0.2 ? `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${'A'.repeat(22)}==\r\nSec-WebSocket-Version: 13\r\n` : 'Connection: close\r\n';
    return `${method} ${randomTarget(rng)} HTTP/1.1\r\n${h === null ? '' : `Host: ${h}\r\n`}${extra}\r\n`;
  });
}

// ---------------------------------------------------------------------------------------------
// WebSocket protocol

export const FIXED_FRAMES: [string, FrameSpec][] = [
  ['invalid UTF-8 text', { opcode: 0x1, payload: Uint8Array.of(0xc3, 0x28, 0xff) }],
  ['unmasked frame', { opcode: 0x1, payload: Buffer.from('{}'), mask: false }],
  ['reserved opcode 0x3', { opcode: 0x3, payload: Buffer.from('x') }],
  ['reserved opcode 0x7', { opcode: 0x7 }],
  ['reserved control opcode 0xB', { opcode: 0xb }],
  ['reserved control opcode 0xF', { opcode: 0xf }],
  ['RSV1', { opcode: 0x1, payload: Buffer.from('{}'), rsv: 0b100 }],
  ['RSV2+RSV3', { opcode: 0x2, payload: Buffer.from('x'), rsv: 0b011 }],
  ['fragmented ping', { opcode: 0x9, fin: false }],
  ['oversized ping (126 bytes)', { opcode: 0x9, payload: new Uint8Array(126) }],
  ['continuation without a start', { opcode: 0x0, payload: Buffer.from('x') }],
  ['close with code 999', { opcode: 0x8, payload: Uint8Array.of(0x03, 0xe7) }],
  ['close with a 1-byte payload', { opcode: 0x8, payload: Uint8Array.of(0x03) }],
  ['length claiming 2^63 - 1', { opcode: 0x2, claimedLength: (1n << 63n) - 1n }],
  ['length claiming the limit + 1', { opcode: 0x1, claimedLength: BigInt(MAX_WIRE_REQUEST_BYTES + 1) }],
];

function randomFrame(rng: SeededRandom): FrameSpec {
  const payload = Uint8Array.from({ length: rng.int(rng.next() < 0.1 ? 400 : 40) }, () => rng.int(256));
  const f: FrameSpec = { opcode: rng.int(16), payload, fin: rng.next() < 0.8, rsv: rng.next() < 0.8 ? 0 : rng.int(8), mask: rng.next() < 0.85 };
  if (rng.next() < 0.1) f.claimedLength = BigInt(rng.int(2 ** 31)) * BigInt(1 + rng.int(2 ** 20));
  return f;
}

/** One hand-made frame on a fresh authenticated connection; the outcome is the close code (or "open": the frame was acceptable). */
export async function frameCase(port: number, token: string, frame: FrameSpec): Promise<{ outcome: string; failure?: string }> {
  const ws = await rawWebSocket(port, token);
  ws.write(encodeFrame(frame));
  // ws acts on a frame as it arrives: a connection still open after this long accepted it.
  const closed = await Promise.race([ws.closed, new Promise<null>((r) => setTimeout(() => r(null), 250))]);
  ws.destroy();
  if (!closed) return { outcome: 'open' };
  const fine = [1000, 1002, 1003, 1007, 1009, 0, 1005].includes(closed.code);
  return { outcome: `close ${closed.code}`, failure: fine ? undefined : `unexpected close code ${closed.code}` };
}

export function frames(rng: SeededRandom | null, count: number): FrameSpec[] {
  if (!rng) return FIXED_FRAMES.slice(0, count).map(([, f]) => f);
  return Array.from({ length: count }, () => randomFrame(rng));
}

// ---------------------------------------------------------------------------------------------
// API messages

/** Methods the fuzzer calls with random params. Left out: ones that start heavy background work or change where the hub points. */
const FUZZED_METHODS = Object.keys(contract).filter((m) => !['prompt.sources', 'hub.settings', 'library.scan', 'jobs.settings'].includes(m));
const PARAM_KEYS = ['id', 'path', 'text', 'sides', 'kind', 'params', 'priority', 'device', 'direction', 'afterSeq', 'limit', 'repo', 'revision', 'include', 'exclude', 'files', 'token', 'modelPath', 'saePath', 'topFeatures', 'keepPartialOnCancel', 'repoType', 'paths', 'sae', 'index', 'feature', 'label', 'note', 'file', 'against', '__proto__', 'constructor'];

function randomJson(rng: SeededRandom, sandbox: Sandbox, depth: number): unknown {
  const r = rng.next();
  if (depth > 3 || r < 0.35) {
    return rng.pick<unknown>([
      null,
      true,
      false,
      0,
      -1,
      1.5,
      2 ** 53,
      -(2 ** 31),
      1e308,
      rng.int(100),
      '',
      'x'.repeat(rng.int(5000)),
      rng.pick(sandbox.paths),
      rng.pick(['cpu', 'auto', 'cuda', 'tpu', 'files.verify', 'hub.download', 'library.scan']),
      '\u0000\uffff\ud800',
      String.fromCharCode(...Array.from({ length: 12 }, () => rng.int(0x3000))),
    ]);
  }
  if (r < 0.55) return Array.from({ length: rng.int(4) }, () => randomJson(rng, sandbox, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = rng.int(5); i > 0; i--) o[rng.pick(PARAM_KEYS)] = randomJson(rng, sandbox, depth + 1);
  return o;
}

/** A message for the API socket: mostly requests (known and unknown methods, random params), some not requests at all. */
export function apiMessage(rng: SeededRandom, sandbox: Sandbox, id: number): { text: string | Buffer; expectId: number; expectClose?: number } {
  const r = rng.next();
  if (r < 0.04) return { text: rng.pick(['not json', '{', '[]', 'null', '42', '"x"', '{"id":"1","method":"app.info"}', '{"id":1.5,"method":"app.info"}', '{"method":"app.info"}']), expectId: -1 };
  // Binary frames carry only announced tensors (contract/tensors.ts): a stray one closes the connection with 1003.
  if (r < 0.06) return { text: Buffer.from(Array.from({ length: 32 }, () => rng.int(256))), expectId: -1, expectClose: 1003 };
  if (r < 0.07) return { text: `${'['.repeat(5000)}${']'.repeat(5000)}`, expectId: -1 };
  const method = r < 0.2 ? rng.pick(['', 'nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'jobs', 'jobs.', 'JOBS.LIST', 'app.info ', 'x'.repeat(300)]) : rng.pick(FUZZED_METHODS);
  const params = rng.next() < 0.15 ? undefined : randomJson(rng, sandbox, 0);
  return { text: JSON.stringify({ id, method, params }), expectId: id };
}

/** Requests that point the core at the sandbox's traps, each with what a clear answer is. */
export function trapCalls(sandbox: Sandbox): { method: string; params: unknown; expect: RegExp }[] {
  const f = sandbox.fixture;
  return [
    { method: 'library.addFolder', params: { path: sandbox.loop }, expect: /^ok$/ },
    { method: 'library.addFolder', params: { path: sandbox.fifo }, expect: /^PATH_NOT_SUPPORTED$/ },
    { method: 'library.addFolder', params: { path: sandbox.socket }, expect: /^PATH_NOT_SUPPORTED$/ },
    { method: 'library.addFolder', params: { path: path.join(sandbox.root, 'missing') }, expect: /^PATH_NOT_FOUND$/ },
    { method: 'library.addFolder', params: { path: sandbox.nanModel }, expect: /^ok$/ },
    { method: 'prompt.run', params: { text: 'hello', sides: [{ modelPath: sandbox.nanModel, saePath: f.sae }], device: 'cpu' }, expect: /^WEIGHTS_NONFINITE$/ },
    { method: 'prompt.run', params: { text: 'hello', sides: [{ modelPath: sandbox.fifo, saePath: f.sae }], device: 'cpu' }, expect: /^MODEL_NOT_FOUND$/ },
    { method: 'prompt.run', params: { text: 'hello', sides: [{ modelPath: f.model, saePath: sandbox.loop }], device: 'cpu' }, expect: /^SAE_CONFIG_MISSING$/ },
    { method: 'prompt.run', params: { text: 'hello world', sides: [{ modelPath: f.model, saePath: f.sae }], device: 'cpu' }, expect: /^ok$/ },
    { method: 'jobs.add', params: { kind: 'files.verify', params: { paths: [sandbox.loop] } }, expect: /^ok$/ },
    { method: 'jobs.add', params: { kind: 'files.verify', params: { paths: 5 } }, expect: /^INVALID_JOB_PARAMS$/ },
    { method: 'jobs.add', params: { kind: 'files.verify', params: { paths: ['/x'] }, priority: 1000 }, expect: /^INVALID_PARAMS$/ },
    { method: 'hub.settings', params: { offline: 'yes' }, expect: /^INVALID_PARAMS$/ },
    // Ids are names in the core's own shapes, never paths (preload/contract/ids.ts).
    { method: 'library.readArtifact', params: { id: '../../etc/passwd' }, expect: /^INVALID_PARAMS$/ },
    { method: 'train.metrics', params: { jobId: '../../secret' }, expect: /^INVALID_PARAMS$/ },
    { method: 'experiments.artifact', params: { jobId: sandbox.root }, expect: /^INVALID_PARAMS$/ },
    { method: 'index.features', params: { id: 'ix-0000000000/../../x' }, expect: /^INVALID_PARAMS$/ },
    // Labels and directions: a FIFO or socket where a label file or a vector should be, an SAE that is none.
    { method: 'label.import', params: { sae: f.sae, file: sandbox.fifo }, expect: /^NOT_A_FILE$/ },
    { method: 'label.import', params: { sae: f.sae, file: sandbox.socket }, expect: /^NOT_A_FILE$/ },
    { method: 'label.set', params: { sae: sandbox.fifo, feature: 0, label: 'x' }, expect: /^SAE_NOT_FOUND$/ },
    { method: 'label.set', params: { sae: sandbox.loop, feature: 0, label: 'x' }, expect: /^SAE_CONFIG_MISSING$/ },
    { method: 'label.set', params: { sae: f.sae, feature: 0, label: 'a label' }, expect: /^ok$/ },
    { method: 'direction.cosine', params: { sae: f.sae, feature: 0, against: { file: sandbox.fifo } }, expect: /^NOT_A_FILE$/ },
  ];
}

/** An authenticated API connection that answers by id, ignoring events. */
export class ApiSocket {
  private constructor(private readonly ws: WebSocket) {}

  static open(port: number, token: string): Promise<ApiSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`, { origin: `http://127.0.0.1:${port}` });
      ws.once('open', () => resolve(new ApiSocket(ws)));
      ws.once('error', reject);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Send and wait for the reply with `expectId` (null: no reply within the timeout). */
  send(text: string | Buffer, expectId: number, timeoutMs = 60_000): Promise<{ id: number; ok: boolean; error?: { code: string; message: string; errorId?: string } } | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), timeoutMs);
      const onMessage = (d: WebSocket.RawData) => {
        const m = JSON.parse(String(d)) as { id?: number; event?: string; ok: boolean; error?: { code: string; message: string } };
        if (m.event === undefined && m.id === expectId) finish(m as never);
      };
      const onClose = () => finish(null);
      const finish = (v: Parameters<typeof resolve>[0]) => {
        clearTimeout(timer);
        this.ws.off('message', onMessage);
        this.ws.off('close', onClose);
        resolve(v);
      };
      this.ws.on('message', onMessage);
      this.ws.once('close', onClose);
      this.ws.send(text, { binary: Buffer.isBuffer(text) });
    });
  }

  /** Send something the server must answer by closing the connection; its close code (null: still open). */
  sendExpectingClose(data: string | Buffer, timeoutMs = 10_000): Promise<number | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      this.ws.once('close', (code: number) => {
        clearTimeout(timer);
        resolve(code);
      });
      this.ws.send(data, { binary: Buffer.isBuffer(data) });
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** Classify an API reply: its code, and a failure if it is an INTERNAL error or missing. */
export function apiOutcome(reply: Awaited<ReturnType<ApiSocket['send']>>, what: string): { outcome: string; failure?: string } {
  if (!reply) return { outcome: 'no reply', failure: `no reply to ${what.slice(0, 120)}` };
  if (reply.ok) return { outcome: 'ok' };
  const code = reply.error?.code ?? '?';
  if (code === 'INTERNAL') return { outcome: code, failure: `INTERNAL (${reply.error?.errorId}) for ${what.slice(0, 160)}` };
  if (!reply.error?.message) return { outcome: code, failure: `error without a message for ${what.slice(0, 120)}` };
  return { outcome: code };
}

/** Health after a case: a failure when the server no longer answers (or its process is gone). */
export async function healthFailure(server: ServedCore, report: AbuseReport): Promise<string | undefined> {
  report.healthChecks++;
  if (server.child.exitCode !== null || server.child.signalCode !== null) return `the server process exited (${server.child.exitCode ?? server.child.signalCode})`;
  return (await isHealthy(server.port, 10_000)) ? undefined : 'the server stopped answering /health';
}

export interface AbusePlan {
  seed: number;
  /** Random cases per category (fixed cases always run once). */
  http: number;
  frames: number;
  api: number;
}

/** Run every category against a served core; returns when done or at the first dead server. */
export async function runServerAbuse(server: ServedCore, sandbox: Sandbox, plan: AbusePlan, report: AbuseReport, onProgress?: (done: number) => void): Promise<void> {
  const rng = new SeededRandom(plan.seed);
  const run = async (category: string, work: () => Promise<{ outcome: string; failure?: string }>) => {
    const t = Date.now();
    let r: { outcome: string; failure?: string };
    try {
      r = await work();
    } catch (err) {
      r = { outcome: 'harness error', failure: String((err as Error)?.stack ?? err) };
    }
    const dead = await healthFailure(server, report);
    report.record(category, r.outcome, Date.now() - t, r.failure ?? dead);
    onProgress?.(report.cases);
    if (dead) throw new Error(`${category}: ${dead}\n${server.output().slice(-4000)}`);
  };
  for (const req of httpRequests(server.port, null, 100)) await run('http: malformed (fixed)', () => httpCase(server.port, req));
  for (const req of httpRequests(server.port, rng, plan.http)) await run('http: random targets', () => httpCase(server.port, req));
  for (const f of frames(null, 100)) await run('ws: protocol (fixed)', () => frameCase(server.port, server.token, f));
  for (const f of frames(rng, plan.frames)) await run('ws: random frames', () => frameCase(server.port, server.token, f));

  let socket = await ApiSocket.open(server.port, server.token);
  for (const call of trapCalls(sandbox)) {
    await run('api: loops, FIFOs, NaN', async () => {
      const what = `${call.method} ${JSON.stringify(call.params)}`;
      const r = apiOutcome(await socket.send(JSON.stringify({ id: 1, method: call.method, params: call.params }), 1), what);
      return r.failure || call.expect.test(r.outcome) ? r : { ...r, failure: `${what}: got ${r.outcome}, expected ${call.expect}` };
    });
  }
  for (let i = 0; i < plan.api; i++) {
    if (!socket.open) socket = await ApiSocket.open(server.port, server.token);
    const m = apiMessage(rng, sandbox, 1000 + i);
    await run('api: random messages', async () => {
      if (m.expectClose === undefined) return apiOutcome(await socket.send(m.text, m.expectId), typeof m.text === 'string' ? m.text : `<${m.text.length} binary bytes>`);
      const code = await socket.sendExpectingClose(m.text);
      return { outcome: `close ${code}`, failure: code === m.expectClose ? undefined : `expected close ${m.expectClose}, got ${code ?? 'no close'}` };
    });
  }
  socket.close();
}

/** Uncaught errors the core logged while under abuse (each is a bug even when it kept serving). */
export function loggedUncaught(home: string): string[] {
  const file = path.join(home, 'logs', 'core.log');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => /uncaughtException|unhandledRejection/.test(l));
}
