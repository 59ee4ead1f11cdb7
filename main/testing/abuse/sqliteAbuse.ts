/**
 * Abuse cases for the SQLite files of a data directory (issue 16): random byte damage to an
 * index, the shared token store or the app database, then random reads (feature pages, lists,
 * searches, condition previews, a condition diff), each of which must give either exactly the
 * clean home's answer or an error that names the damaged file (INDEX_CORRUPT, DB_CORRUPT):
 * never INTERNAL, never a different answer. And special files (FIFOs) where SQLite files should
 * be: NOT_A_FILE at once, with the served core still answering /health.
 * main/testing/abuse/sqliteAbuse.test.ts runs a bounded set; bench/abuseSuite.ts runs many.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { DiffParams } from '../../../preload/api';
import { createCore } from '../../api/core';
import { runDiff } from '../../compare/runCompare';
import { databasePath, openDatabase } from '../../db/connection';
import { toApiError } from '../../errors';
import { corpusFile } from '../../index/corpusStore';
import { indexFile } from '../../index/indexDatabase';
import { IndexRegistry } from '../../index/indexRegistry';
import { SeededRandom } from '../../random/seededRandom';
import { runCliCaptured } from '../cliRun';
import { isHealthy } from '../rawSockets';
import { ApiSocket, loggedUncaught, serveForAbuse, type AbuseReport } from '../serverAbuse';
import { sharedDemoBundle } from '../sharedDemoBundle';

const projectRoot = path.resolve(import.meta.dirname, '../../..');

/** A data directory holding two ready indexes (the demo pair) on one token store. */
export interface IndexedHome {
  home: string;
  a: string;
  b: string;
  corpusId: string;
}

/** Build the demo pair's indexes over the first `documents` documents into `home`. */
export async function writeIndexedHome(home: string, documents = 80): Promise<IndexedHome> {
  const demo = sharedDemoBundle();
  const ids: string[] = [];
  for (const m of ['standard', 'adhd'] as const) {
    const r = await runCliCaptured(['index', '--model', demo.models[m], '--sae', demo.saes[m], '--dataset', demo.dataset, '--max-documents', String(documents), '--device', 'cpu', '--home', home]);
    if (r.code !== 0) throw new Error(`index build failed: ${r.err}`);
    ids.push(JSON.parse(r.out.trim().split('\n').pop()!).index_ids[0]);
  }
  const db = openDatabase(home);
  const corpusId = new IndexRegistry(db).require(ids[0]).corpusId;
  db.close();
  return { home, a: ids[0], b: ids[1], corpusId };
}

/** A copy of an indexed home elsewhere (its logs and lock left behind). */
export function copyHome(from: IndexedHome, home: string): IndexedHome {
  fs.rmSync(home, { recursive: true, force: true });
  fs.mkdirSync(home, { recursive: true });
  fs.cpSync(path.join(from.home, 'index'), path.join(home, 'index'), { recursive: true });
  fs.copyFileSync(databasePath(from.home), databasePath(home));
  return { ...from, home };
}

/** The SQLite files of a home, by what they are. */
export function sqliteFilesOf(h: IndexedHome): { what: 'index' | 'corpus' | 'app'; file: string }[] {
  return [
    { what: 'index', file: indexFile(h.home, h.a) },
    { what: 'index', file: indexFile(h.home, h.b) },
    { what: 'corpus', file: corpusFile(h.home, h.corpusId) },
    { what: 'app', file: databasePath(h.home) },
  ];
}

export function overwriteBytes(file: string, offset: number, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** Where `needle` (a blob read through SQLite) lies in the file: to damage one value exactly. */
export function offsetOf(file: string, needle: Uint8Array): number {
  const at = fs.readFileSync(file).indexOf(needle);
  if (at < 0) throw new Error(`offsetOf: the bytes are not in ${file} (an overflow page split them?)`);
  return at;
}

/** Replace `file` by a named pipe (no writer ever comes). */
export function replaceWithFifo(file: string): void {
  fs.rmSync(file, { force: true });
  const r = spawnSync('mkfifo', [file]);
  if (r.status !== 0) throw new Error(`mkfifo ${file}: ${String(r.stderr)}`);
}

/** The CLI in a child process: a command that would block inside open() fails by the timeout instead of hanging the test. */
export function cliInChild(args: string[], timeoutMs = 60_000): { code: number | null; out: string; err: string; ms: number; timedOut: boolean } {
  const t = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'main/cli/main.ts'), ...args], { cwd: projectRoot, timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: Date.now() - t, timedOut: r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' };
}

/** A read: an API call, or a condition diff run as its job runs it (both stores, the corpus). */
export type ReadCall = { method: string; params: unknown } | { diff: DiffParams };

/** The reads the cases draw from (features chosen to include the demo's planted one). */
export function readCalls(h: IndexedHome): ReadCall[] {
  const calls: ReadCall[] = [
    { method: 'index.list', params: {} },
    { method: 'index.features', params: { id: h.a } },
    { method: 'index.features', params: { id: h.b } },
    { method: 'index.search', params: { id: h.b, query: 'Step' } },
    { method: 'index.search', params: { id: h.a, query: ' the' } },
    { method: 'compare.previewCondition', params: { indexId: h.a, spec: 'token-regex:^Step$', documents: 20 } },
    { diff: { a: h.a, b: h.b, condition: 'token-regex:^Step$', method: 'activation', minRate: 0 } as DiffParams },
  ];
  for (const f of [0, 7, 31, 64, 100, 128, 200, 255]) for (const id of [h.a, h.b]) calls.push({ method: 'index.feature', params: { id, feature: f } });
  return calls;
}

function describeCall(c: ReadCall): string {
  return 'diff' in c ? `diff ${JSON.stringify(c.diff)}` : `${c.method} ${JSON.stringify(c.params)}`;
}

/** The answers of a home to `calls`: a JSON string per call (the result, or the error's code and message). */
export async function answersOf(home: string, calls: ReadCall[]): Promise<{ answers: string[]; startError: { code: string; message: string } | null }> {
  let core;
  try {
    core = createCore({ home, frontDoor: 'test' });
  } catch (err) {
    const e = toApiError(err);
    return { answers: [], startError: { code: e.code, message: e.message } };
  }
  const answers: string[] = [];
  try {
    for (const c of calls) {
      if ('diff' in c) {
        const db = openDatabase(home);
        try {
          const r = await runDiff({ home, db }, c.diff, null);
          answers.push(JSON.stringify({ ok: true, result: { ...r, createdAt: 0, matchWarnings: r.matchWarnings } }));
        } catch (err) {
          const e = toApiError(err);
          answers.push(JSON.stringify({ ok: false, code: e.code, message: e.message }));
        } finally {
          db.close();
        }
        continue;
      }
      const r = await core.call(c.method, c.params);
      answers.push(JSON.stringify(r.ok ? { ok: true, result: r.result } : { ok: false, code: r.error.code, message: r.error.message }));
    }
  } finally {
    await core.close();
  }
  return { answers, startError: null };
}

/** Codes that report a damaged file (with its path in the message). */
const DAMAGE_CODES = ['INDEX_CORRUPT', 'DB_CORRUPT'];

/** One answer of a damaged home against the clean one: its outcome, and a failure in words. */
export function judge(clean: string, got: string, damaged: string, what: string): { outcome: string; failure?: string } {
  if (got === clean) return { outcome: 'same' };
  const g = JSON.parse(got) as { ok: boolean; code?: string; message?: string };
  if (g.ok) return { outcome: 'different', failure: `${what}: a different answer from the clean home, with no error` };
  if (g.code === 'INTERNAL') return { outcome: 'INTERNAL', failure: `${what}: INTERNAL (${g.message})` };
  if (!DAMAGE_CODES.includes(g.code!)) return { outcome: g.code!, failure: `${what}: ${g.code} (${g.message}) instead of a damage error` };
  if (!g.message!.includes(damaged)) return { outcome: g.code!, failure: `${what}: ${g.code} does not name the damaged file ${damaged}: ${g.message}` };
  return { outcome: g.code! };
}

/**
 * One case (in `dir`, a folder of its own: readers are cached per data directory): copy the clean home, write `length` random bytes at a random offset of one of its
 * SQLite files, and ask `reads` random calls; every answer judged against the clean one.
 */
export async function corruptedPagesCase(base: IndexedHome, clean: string[], dir: string, rng: SeededRandom, reads = 6): Promise<{ target: string; outcomes: string[]; failures: string[] }> {
  const h = copyHome(base, dir);
  const { what, file } = rng.pick(sqliteFilesOf(h));
  const size = fs.statSync(file).size;
  // A few bytes, a run of bytes, or a whole page (as a torn or lost write leaves it).
  const r = rng.next();
  const length = r < 0.5 ? 1 + rng.int(8) : r < 0.85 ? 1 + rng.int(256) : 4096;
  const offset = length === 4096 ? 4096 * rng.int(Math.max(1, Math.floor(size / 4096))) : rng.int(Math.max(1, size - length));
  const bytes = rng.next() < 0.2 ? new Uint8Array(length) : Uint8Array.from({ length }, () => rng.int(256));
  overwriteBytes(file, offset, bytes);
  const all = readCalls(h);
  const picked = Array.from({ length: reads }, () => rng.int(all.length));
  const { answers, startError } = await answersOf(h.home, picked.map((i) => all[i]));
  const where = `${what} file, ${length} bytes at ${offset} of ${size}`;
  if (startError) {
    // The app database is checked at start: damage found there refuses the start, naming it.
    const ok = what === 'app' && startError.code === 'DB_CORRUPT' && startError.message.includes(file);
    return { target: what, outcomes: [`start refused: ${startError.code}`], failures: ok ? [] : [`${where}: the core did not start: ${startError.code} ${startError.message}`] };
  }
  const outcomes: string[] = [];
  const failures: string[] = [];
  picked.forEach((i, k) => {
    const r = judge(clean[i], answers[k], file, `${where}: ${describeCall(all[i])}`);
    outcomes.push(r.outcome);
    if (r.failure) failures.push(r.failure);
  });
  return { target: what, outcomes, failures };
}

/** The clean home's answers to every read call, in readCalls order. */
export async function cleanAnswers(base: IndexedHome): Promise<string[]> {
  const { answers, startError } = await answersOf(base.home, readCalls(base));
  if (startError) throw new Error(`the clean home does not start: ${startError.message}`);
  return answers;
}

/** The files a served core's reads open, to put a FIFO in place of (the index files, their -wal, the token store). */
export function specialFileTargets(h: IndexedHome): string[] {
  const files = sqliteFilesOf(h).filter((f) => f.what !== 'app').map((f) => f.file);
  return [...files, ...files.map((f) => `${f}-wal`)];
}

/** API reads only (a served core is asked over its socket), each with its place in readCalls (for its clean answer). */
export function apiReadCalls(h: IndexedHome): { call: { method: string; params: unknown }; index: number }[] {
  return readCalls(h).flatMap((c, index) => ('diff' in c ? [] : [{ call: c, index }]));
}

/**
 * One case against a served core: a FIFO in place of `target` (the real file moved aside) while
 * `call` runs. The answer must be NOT_A_FILE naming the FIFO, or the clean answer (a reader opened
 * earlier still reads the file it opened); then the file is put back. `ask` sends the call.
 */
export async function specialFileCase(
  target: string,
  call: { method: string; params: unknown },
  clean: string,
  ask: (method: string, params: unknown) => Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string } } | null>,
): Promise<{ outcome: string; failure?: string }> {
  const aside = `${target}.aside`;
  const existed = fs.existsSync(target);
  if (existed) fs.renameSync(target, aside);
  replaceWithFifo(target);
  const what = `${call.method} ${JSON.stringify(call.params)} with a FIFO at ${target}`;
  try {
    const reply = await ask(call.method, call.params);
    if (!reply) return { outcome: 'no reply', failure: `${what}: no reply (the core blocked?)` };
    const got = JSON.stringify(reply.ok ? { ok: true, result: reply.result } : { ok: false, code: reply.error!.code, message: reply.error!.message });
    if (got === clean) return { outcome: 'same' };
    if (reply.ok) return { outcome: 'different', failure: `${what}: a different answer, with no error` };
    if (reply.error!.code !== 'NOT_A_FILE' || !reply.error!.message.includes(target)) return { outcome: reply.error!.code, failure: `${what}: ${reply.error!.code} ${reply.error!.message}` };
    return { outcome: 'NOT_A_FILE' };
  } finally {
    fs.rmSync(target, { force: true });
    if (existed) fs.renameSync(aside, target);
  }
}

export interface SqliteAbusePlan {
  seed: number;
  /** Cases of random damage (each asks 6 random reads). */
  damaged: number;
  /** Cases of a FIFO in place of a SQLite file under a served core. */
  special: number;
}

/**
 * Both classes, end to end, in `root`: the demo pair indexed (60 documents), the clean answers,
 * `damaged` cases of random damage, then a served copy of the home and `special` FIFO cases
 * against it, /health (within 2 s) after each. Results go into `report` (serverAbuse.ts).
 */
export async function runSqliteAbuse(root: string, plan: SqliteAbusePlan, report: AbuseReport, onProgress?: (done: number) => void): Promise<void> {
  const base = await writeIndexedHome(path.join(root, 'base'), 60);
  const clean = await cleanAnswers(base);
  const rng = new SeededRandom(plan.seed);
  for (let i = 0; i < plan.damaged; i++) {
    const dir = path.join(root, `case-${i}`);
    const t = Date.now();
    const r = await corruptedPagesCase(base, clean, dir, rng);
    fs.rmSync(dir, { recursive: true, force: true });
    const ms = Date.now() - t;
    r.outcomes.forEach((o, k) => report.record(`sqlite: damaged ${r.target}`, o, k === 0 ? ms : 0, r.failures[k]));
    for (const f of r.failures.slice(r.outcomes.length)) report.record(`sqlite: damaged ${r.target}`, 'failed', 0, f);
    onProgress?.(report.cases);
  }
  const served = copyHome(base, path.join(root, 'served', 'home'));
  const server = await serveForAbuse(path.join(root, 'served'));
  try {
    const socket = await ApiSocket.open(server.port, server.token);
    const calls = apiReadCalls(served);
    let id = 1;
    const ask = (method: string, params: unknown) => socket.send(JSON.stringify({ id, method, params }), id++, 10_000);
    for (let i = 0; i < plan.special; i++) {
      const target = rng.pick(specialFileTargets(served));
      const { call, index } = rng.pick(calls);
      const t = Date.now();
      const r = await specialFileCase(target, call, clean[index], ask);
      report.healthChecks++;
      const healthy = await isHealthy(server.port, 2000);
      report.record('sqlite: special files (served)', r.outcome, Date.now() - t, r.failure ?? (healthy ? undefined : `the server stopped answering /health within 2 s after ${call.method} with a FIFO at ${target}`));
      onProgress?.(report.cases);
    }
    socket.close();
    const uncaught = loggedUncaught(server.home);
    if (uncaught.length) report.record('sqlite: special files (served)', 'uncaught', 0, uncaught.join('\n'));
  } finally {
    await server.stop();
  }
}
