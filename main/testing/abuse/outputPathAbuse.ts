/**
 * The abuse suite's "output paths" class (issue 16): every command that writes a user-chosen path,
 * pointed at randomised bad places: inside or onto its own inputs (directly, through `..`, a
 * symbolic link or a hard link), special file systems (/proc, /sys, /dev), a FIFO, a socket, a
 * dangling link, a link loop, an existing file without --overwrite, a folder where a file goes
 * and a file where a folder goes, names too long, relative paths over the API; plus fresh paths
 * that must work. CLI cases run in a child process (cwd: the sandbox) under a watchdog; API cases
 * (train.sae's `out` through jobs.add) against a real `serve` process, whose /health must answer
 * after each. After every case nothing outside the output path may have changed (a refused case:
 * nothing at all). main/testing/abuse/outputPathAbuse.test.ts runs a bounded set in CI;
 * bench/abuseSuite.ts runs many.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { corpusFile } from '../../index/corpusStore';
import { indexFile } from '../../index/indexDatabase';
import { SeededRandom } from '../../random/seededRandom';
import { runCliCaptured } from '../cliRun';
import { writeLoaderFixture, type LoaderFixture } from '../loaderAbuse';
import { ApiSocket, apiOutcome, healthFailure, serveForAbuse, type AbuseReport, type ServedCore } from '../serverAbuse';

const projectRoot = path.resolve(import.meta.dirname, '../../..');
const HOOK = 'blocks.1.hook_resid_post';
/** A CLI case that has not answered in this long is a hang. */
const CASE_TIMEOUT_MS = 60_000;

export interface OutputSandbox {
  root: string;
  fixture: LoaderFixture;
  /** The data directory the CLI cases use (excluded from the change check: the app writes its own files there). */
  home: string;
  indexId: string;
  traps: { fifo: string; socket: string; dangling: string; loop: string; linkToModel: string; hardlinkToWeights: string; linkToWeights: string };
  close(): Promise<void>;
}

export async function makeOutputSandbox(root: string): Promise<OutputSandbox> {
  fs.mkdirSync(root, { recursive: true });
  const fixture = writeLoaderFixture(path.join(root, 'fixture'));
  const traps = path.join(root, 'traps');
  fs.mkdirSync(traps);
  const t = {
    fifo: path.join(traps, 'pipe.safetensors'),
    socket: path.join(traps, 'sock.json'),
    dangling: path.join(traps, 'dangling.json'),
    loop: path.join(traps, 'loop'),
    linkToModel: path.join(traps, 'model-link'),
    hardlinkToWeights: path.join(traps, 'weights-hardlink.safetensors'),
    linkToWeights: path.join(traps, 'weights-link.safetensors'),
  };
  if (spawnSync('mkfifo', [t.fifo]).status !== 0) throw new Error('mkfifo failed');
  const server = net.createServer().listen(t.socket);
  await new Promise((r) => server.once('listening', r));
  fs.symlinkSync(path.join(traps, 'nowhere'), t.dangling);
  fs.symlinkSync('loop', t.loop);
  fs.symlinkSync(fixture.model, t.linkToModel);
  fs.linkSync(path.join(fixture.model, 'model.safetensors'), t.hardlinkToWeights);
  fs.symlinkSync(path.join(fixture.model, 'model.safetensors'), t.linkToWeights);
  // One index of the fixture, for `index export`.
  const built = await runCliCaptured(['index', '--model', fixture.model, '--sae', fixture.sae, '--dataset', fixture.datasets.jsonl, '--device', 'cpu', '--home', fixture.home]);
  if (built.code !== 0) throw new Error(`output abuse: the fixture index did not build: ${built.err}`);
  const indexId = (JSON.parse(built.out.trim().split('\n').pop()!) as { index_ids: string[] }).index_ids[0];
  return { root, fixture, home: fixture.home, indexId, traps: t, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Every file, folder and link under the sandbox but the data directory: kind, size and mtime. */
function snapshot(sb: OutputSandbox): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (p === sb.home) continue;
      const st = fs.lstatSync(p);
      // A folder's own mtime changes when an entry is added or removed inside it: the entries tell.
      out.set(p, st.isDirectory() ? 'folder' : `${st.mode}:${st.size}:${st.mtimeMs}:${st.nlink}`);
      if (e.isDirectory()) visit(p);
    }
  };
  visit(sb.root);
  return out;
}

function changesOutside(before: Map<string, string>, after: Map<string, string>, allowed: string | null): string[] {
  const inside = (p: string) => allowed !== null && (p === allowed || p.startsWith(`${allowed}${path.sep}`));
  // Missing folders on the way to the output are created with it (mkdir -p): new folders only.
  const onTheWay = (p: string, v: string) => allowed !== null && v === 'folder' && !before.has(p) && allowed.startsWith(`${p}${path.sep}`);
  const changes: string[] = [];
  for (const [p, v] of after) if (before.get(p) !== v && !inside(p) && !onTheWay(p, v)) changes.push(`${before.has(p) ? 'changed' : 'created'} ${p}`);
  for (const p of before.keys()) if (!after.has(p) && !inside(p)) changes.push(`removed ${p}`);
  return changes;
}

type Input = 'model' | 'sae' | 'dataset' | 'acts' | 'index';

interface Command {
  name: string;
  kind: 'file' | 'folder';
  reads: Input[];
  /** Cases that succeed are run only for commands cheap enough (training and the demo are refusal-only). */
  okCases: boolean;
  argv(sb: OutputSandbox, out: string, overwrite: boolean): string[];
}

const withOverwrite = (argv: string[], overwrite: boolean) => (overwrite ? [...argv, '--overwrite'] : argv);

export const CLI_COMMANDS: Command[] = [
  { name: 'acts', kind: 'file', reads: ['model'], okCases: true, argv: (sb, o, w) => withOverwrite(['acts', '--model', sb.fixture.model, '--tokens', '1,2,3', '--hooks', HOOK, '--device', 'cpu', '--out', o, '--home', sb.home], w) },
  { name: 'encode', kind: 'file', reads: ['sae', 'acts'], okCases: true, argv: (sb, o, w) => withOverwrite(['encode', '--sae', sb.fixture.sae, '--in', sb.fixture.acts, '--tensor', HOOK, '--device', 'cpu', '--out', o, '--home', sb.home], w) },
  {
    name: 'ablate',
    kind: 'file',
    reads: ['model', 'sae', 'dataset'],
    okCases: true,
    argv: (sb, o, w) => withOverwrite(['ablate', '--model', sb.fixture.model, '--sae', sb.fixture.sae, '--features', '1', '--dataset', sb.fixture.datasets.jsonl, '--max-documents', '2', '--seeds', '2', '--draws', '1', '--device', 'cpu', '--json', '--out', o, '--home', sb.home], w),
  },
  { name: 'index export', kind: 'folder', reads: ['index'], okCases: true, argv: (sb, o, w) => withOverwrite(['index', 'export', sb.indexId, '--format', 'parquet', '--out', o, '--home', sb.home], w) },
  {
    name: 'train',
    kind: 'folder',
    reads: ['model', 'dataset'],
    okCases: false,
    argv: (sb, o, w) => withOverwrite(['train', '--model', sb.fixture.model, '--hook', HOOK, '--dataset', sb.fixture.datasets.jsonl, '--k', '2', '--d-sae', '8', '--tokens', '64', '--batch-size', '16', '--device', 'cpu', '--out', o, '--home', sb.home], w),
  },
  { name: 'demo', kind: 'folder', reads: [], okCases: false, argv: (sb, o, w) => withOverwrite(['demo', '--out', o, '--home', sb.home], w) },
];

interface Variant {
  label: string;
  path: string;
  overwrite: boolean;
  expect: 'ok' | 'refused';
  /** Made just before the case (an existing file or folder to collide with). */
  prepare?: () => void;
}

function inputPaths(sb: OutputSandbox, input: Input): { path: string; isDir: boolean; member?: string }[] {
  const f = sb.fixture;
  switch (input) {
    case 'model':
      return [{ path: f.model, isDir: true, member: 'model.safetensors' }];
    case 'sae':
      return [{ path: f.sae, isDir: true, member: 'sae_weights.safetensors' }];
    case 'dataset':
      return [{ path: f.datasets.jsonl, isDir: false }];
    case 'acts':
      return [{ path: f.acts, isDir: false }];
    case 'index':
      return [
        { path: indexFile(sb.home, sb.indexId), isDir: false },
        { path: corpusFile(sb.home, indexCorpus(sb)), isDir: false },
      ];
  }
}

function indexCorpus(sb: OutputSandbox): string {
  const dir = path.dirname(corpusFile(sb.home, 'x'));
  const name = fs.readdirSync(dir).find((n) => n.endsWith('.sqlite'))!;
  return name.replace(/\.sqlite$/, '');
}

/** One random variant of a bad (or, now and then, good) output for `cmd`. */
export function outputVariant(sb: OutputSandbox, cmd: Pick<Command, 'kind' | 'reads' | 'okCases'>, rng: SeededRandom, surface: 'cli' | 'api'): Variant {
  const tag = `${rng.int(1e9).toString(36)}`;
  const ext = cmd.kind === 'file' ? rng.pick(['.safetensors', '.json', '']) : '';
  const fresh = path.join(sb.fixture.out, ...Array.from({ length: rng.int(3) }, () => `d${rng.int(100)}`), `new-${tag}${ext}`);
  const overwrite = rng.next() < 0.5;
  const refused = (label: string, p: string, w = overwrite, prepare?: () => void): Variant => ({ label, path: p, overwrite: w, expect: 'refused', prepare });
  const options: (() => Variant)[] = [
    () => refused('special: /proc', rng.pick(['/proc/x', `/proc/self/${tag}`, `/proc/${tag}/a/b`, '/proc', `/proc/1/${tag}.json`])),
    () => refused('special: /sys', rng.pick([`/sys/${tag}`, `/sys/kernel/${tag}/x`])),
    () => refused('special: /dev', rng.pick(['/dev/null', `/dev/${tag}`, '/dev/zero', `/dev/${tag}/x`])),
    () => refused('FIFO', sb.traps.fifo, true),
    () => refused('socket', sb.traps.socket, true),
    () => refused('dangling symlink', sb.traps.dangling, true),
    () => refused('symlink loop', path.join(sb.traps.loop, `x${ext}`)),
    () => refused('name too long', path.join(sb.fixture.out, `${'n'.repeat(300)}${ext}`)),
    () => {
      const file = path.join(sb.fixture.out, `existing-${tag}${ext || '.bin'}`);
      return refused('a file on the way', path.join(file, `x${ext}`), overwrite, () => fs.writeFileSync(file, 'precious'));
    },
  ];
  if (surface === 'api') {
    options.push(() => refused('relative (API)', rng.pick(['saes', 'relative/saes', '../x', './out', path.relative(process.cwd(), fresh) || 'x'])));
  }
  // Inputs of this command: the input itself, inside it, its files, through .., links to it.
  for (const input of cmd.reads) {
    for (const i of inputPaths(sb, input)) {
      options.push(() => refused(`onto ${input}`, i.path, true));
      options.push(() => refused(`inside ${input}`, path.join(i.path, `new-${tag}${ext}`)));
      // Not path.join: the `..` must reach the command as typed.
      const parent = path.dirname(i.path);
      options.push(() => refused(`inside ${input} via ..`, [parent, '..', path.basename(parent), path.basename(i.path), `x${ext}`].join(path.sep)));
      if (i.member) options.push(() => refused(`onto ${input}'s file`, path.join(i.path, i.member!), true));
      if (input === 'model') {
        options.push(() => refused('inside model via symlink', path.join(sb.traps.linkToModel, rng.pick(['model.safetensors', 'config.json', `new-${tag}${ext}`])), true));
        if (cmd.kind === 'file') options.push(() => refused('hard link to model weights', sb.traps.hardlinkToWeights, true));
        if (cmd.kind === 'file') options.push(() => refused('symlink to model weights', sb.traps.linkToWeights, true));
      }
    }
  }
  if (cmd.kind === 'file') {
    options.push(() => refused('a folder where a file goes', path.join(sb.fixture.out, `dir-${tag}`), overwrite, () => fs.mkdirSync(path.join(sb.fixture.out, `dir-${tag}`))));
    const file = path.join(sb.fixture.out, `existing-${tag}${ext}`);
    if (!overwrite || !cmd.okCases) options.push(() => refused('existing file, no --overwrite', file, false, () => fs.writeFileSync(file, 'precious')));
    if (cmd.okCases) options.push(() => ({ label: 'existing file, --overwrite', path: file, overwrite: true, expect: 'ok', prepare: () => fs.writeFileSync(file, 'replace me') }));
  } else {
    options.push(() => {
      const file = path.join(sb.fixture.out, `existing-${tag}${ext || '.txt'}`);
      return refused('a file where a folder goes', file, overwrite, () => fs.writeFileSync(file, 'precious'));
    });
    if (!cmd.okCases) {
      // Refusal-only commands: an existing folder that holds what they would write, without --overwrite.
      const dir = path.join(sb.fixture.out, `full-${tag}`);
      options.push(() => refused('existing output, no --overwrite', dir, false, () => fillLikeOutput(dir)));
    } else {
      options.push(() => ({ label: 'existing folder of other files', path: path.join(sb.fixture.out, `dir-${tag}`), overwrite, expect: 'ok', prepare: () => writeFileIn(path.join(sb.fixture.out, `dir-${tag}`), 'keep.txt') }));
    }
  }
  if (cmd.okCases && surface === 'cli') {
    options.push(() => ({ label: 'fresh path', path: fresh, overwrite, expect: 'ok' }));
    options.push(() => ({ label: 'fresh path, relative', path: path.relative(sb.root, fresh), overwrite, expect: 'ok' }));
  }
  return rng.pick(options)();
}

function writeFileIn(dir: string, name: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), 'mine');
}

/** A folder holding what train and demo would write (so without --overwrite it must be refused). */
function fillLikeOutput(dir: string): void {
  writeFileIn(dir, 'params.json');
  writeFileIn(path.join(dir, HOOK), 'cfg.json');
  writeFileIn(dir, 'bundle.json');
}

/** The CLI case runner: one child process, restarted after a hang. */
class CliChild {
  private child: ChildProcess | null = null;
  private readonly waiting = new Map<number, (r: { code: number; err: string }) => void>();

  constructor(private readonly cwd: string) {}

  private start(): ChildProcess {
    // Started in the project (where tsx resolves); the child moves into the sandbox itself.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'main/testing/abuse/outputCaseChild.ts'), this.cwd], { cwd: projectRoot, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, HF_HUB_OFFLINE: '1' } });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let m: { id?: number; code: number; err: string } | null = null;
      try {
        m = JSON.parse(line);
      } catch {
        return; // not an answer (a command printed to stdout directly)
      }
      if (m && typeof m.id === 'number') this.waiting.get(m.id)?.(m);
    });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      for (const answer of [...this.waiting.values()]) answer({ code: -1, err: `the CLI child exited (${code ?? signal})` });
    });
    return child;
  }

  async run(id: number, argv: string[]): Promise<{ code: number; err: string } | 'hung'> {
    this.child ??= this.start();
    const child = this.child;
    const answer = new Promise<{ code: number; err: string } | 'hung'>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        child.kill('SIGKILL');
        this.child = null;
        resolve('hung');
      }, CASE_TIMEOUT_MS);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(r);
      });
    });
    child.stdin!.write(`${JSON.stringify({ id, argv })}\n`);
    return answer;
  }

  stop(): void {
    this.child?.stdin?.end();
    this.child = null;
  }
}

/** Remove what an accepted case wrote (so the sandbox stays the same for the next case). */
function cleanUp(p: string, sbOut: string): void {
  if (p.startsWith(`${sbOut}${path.sep}`)) fs.rmSync(p, { recursive: true, force: true });
}

export interface OutputAbusePlan {
  seed: number;
  cli: number;
  api: number;
}

/**
 * Run the class: `plan.cli` CLI cases and `plan.api` API cases (train.sae's `out`). The served
 * core is started here and stopped at the end.
 */
export async function runOutputPathAbuse(root: string, plan: OutputAbusePlan, report: AbuseReport, onProgress?: (done: number) => void): Promise<void> {
  const sb = await makeOutputSandbox(path.join(root, 'sandbox'));
  const rng = new SeededRandom(plan.seed);
  const child = new CliChild(sb.root);
  let server: ServedCore | null = null;
  try {
    for (let i = 0; i < plan.cli; i++) {
      const cmd = rng.pick(CLI_COMMANDS);
      const v = outputVariant(sb, cmd, rng, 'cli');
      const t = Date.now();
      v.prepare?.();
      const before = snapshot(sb);
      const argv = cmd.argv(sb, v.path, v.overwrite);
      const r = await child.run(i, argv);
      const what = `${cmd.name} --out ${JSON.stringify(v.path).slice(0, 120)}${v.overwrite ? ' --overwrite' : ''} (${v.label})`;
      let failure: string | undefined;
      let outcome: string;
      if (r === 'hung') {
        outcome = 'hung';
        failure = `${what}: no answer in ${CASE_TIMEOUT_MS / 1000} s`;
      } else {
        outcome = r.code === 0 ? 'ok' : r.code === 1 && /^Error: [\s\S]*\nHint: /.test(r.err) ? 'refused' : `exit ${r.code}`;
        if (/Unexpected error/.test(r.err)) failure = `${what}: a stack trace: ${r.err.slice(0, 400)}`;
        else if (outcome !== v.expect) failure = `${what}: ${outcome}, expected ${v.expect}: ${r.err.slice(0, 300)}`;
      }
      const target = path.resolve(sb.root, v.path);
      const changes = changesOutside(before, snapshot(sb), outcome === 'ok' ? target : null);
      if (!failure && changes.length > 0) failure = `${what}: changed outside the output path: ${changes.slice(0, 5).join('; ')}`;
      if (outcome === 'ok' || v.prepare) cleanUp(target.startsWith(sb.fixture.out) ? topUnder(target, sb.fixture.out) : target, sb.fixture.out);
      report.record(`outputs: cli ${cmd.name}`, `${outcome}: ${v.label}`, Date.now() - t, failure);
      onProgress?.(report.cases);
    }
    child.stop();

    server = await serveForAbuse(path.join(root, 'served'));
    const socket = await ApiSocket.open(server.port, server.token);
    const trainSae = { kind: 'folder' as const, reads: ['model', 'dataset'] as Input[], okCases: false };
    for (let i = 0; i < plan.api; i++) {
      const v = outputVariant(sb, trainSae, rng, 'api');
      const t = Date.now();
      v.prepare?.();
      const before = snapshot(sb);
      const params = { model: sb.fixture.model, hooks: [HOOK], dataset: sb.fixture.datasets.jsonl, k: 2, dSae: 8, tokens: 64, batchSize: 16, device: 'cpu', out: v.path, overwrite: v.overwrite };
      const what = `jobs.add train.sae out ${JSON.stringify(v.path).slice(0, 120)}${v.overwrite ? ' overwrite' : ''} (${v.label})`;
      const reply = await socket.send(JSON.stringify({ id: 1 + i, method: 'jobs.add', params: { kind: 'train.sae', params } }), 1 + i);
      const r = apiOutcome(reply, what);
      let failure = r.failure;
      if (!failure && r.outcome === 'ok') {
        failure = `${what}: accepted, expected a refusal`;
        const id = (reply as unknown as { result?: { id?: string } }).result?.id;
        if (id) await socket.send(JSON.stringify({ id: 100_000 + i, method: 'jobs.cancel', params: { id } }), 100_000 + i);
      } else if (!failure && !/^(OUTPUT_PATH_INVALID|OUTPUT_EXISTS|OUTPUT_INSIDE_INPUT|OUTPUT_NOT_WRITABLE|INVALID_JOB_PARAMS)$/.test(r.outcome)) {
        failure = `${what}: ${r.outcome}, expected an OUTPUT_* refusal`;
      }
      const changes = changesOutside(before, snapshot(sb), null);
      if (!failure && changes.length > 0) failure = `${what}: changed: ${changes.slice(0, 5).join('; ')}`;
      if (v.prepare) cleanUp(topUnder(path.resolve(v.path), sb.fixture.out), sb.fixture.out);
      const dead = await healthFailure(server, report);
      report.record('outputs: api train.sae out', `${r.outcome}: ${v.label}`, Date.now() - t, failure ?? dead);
      onProgress?.(report.cases);
      if (dead) throw new Error(`outputs: ${dead}\n${server.output().slice(-4000)}`);
    }
    socket.close();
  } finally {
    child.stop();
    const code = await server?.stop();
    if (server) report.record('outputs: after the run', code === 0 ? 'clean' : 'dirty', 0, code === 0 ? undefined : `serve exited ${code} on SIGTERM`);
    await sb.close();
  }
}

/** The first path component of `p` below `dir` (what a case created there), or `p` itself. */
function topUnder(p: string, dir: string): string {
  const rel = path.relative(dir, p);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return p;
  return path.join(dir, rel.split(path.sep)[0]);
}
