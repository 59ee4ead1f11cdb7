/**
 * Broken files through every loader: a fixture with one of each thing the app reads (an SAE, a
 * GPT-2 model with its tokenizer, dataset files of each format, saved activations), ways to
 * damage one file (a FIFO, a folder, a socket, a dangling link or a symlink loop where the file should be; empty,
 * truncated, garbage, NaN/Inf weights), and the loaders and CLI commands that read them. A case
 * passes when the loader refuses with a WorkbenchError (or, for harmless damage, accepts), never
 * throws anything else, never hangs, and writes nothing it should not. Shared by the CI test
 * (every target x every fixed damage) and bench/abuseSuite.ts (random damage, many cases).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { readDocuments, planDataset } from '../datasets/documentReader';
import { randomSae, randomTransformer } from '../engine/randomWeights';
import { WorkbenchError } from '../errors';
import { datasetFileInfo } from '../formats/datasetFiles';
import { inspectDirectory } from '../formats/inspect';
import { writeGpt2Directory } from '../formats/models/gpt2Writer';
import { loadModel } from '../formats/models/registry';
import { loadSae } from '../formats/saeLoader';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from '../formats/safetensors';
import { v6TopkCfg, writeSaeDir } from '../formats/testing/saeFixture';
import { recognizeTree } from '../library/recognizeItems';
import { loadTokenizer } from '../tokenize/tokenizer';
import { byteLevelBpeJson } from '../tokenize/testing/tinyTokenizers';
import { runCliCaptured } from './cliRun';

/** Uniform in [0, 1): mulberry32 from main/random/seededRandom. */
export type Rng = () => number;

export interface LoaderFixture {
  root: string;
  sae: string;
  model: string;
  acts: string;
  datasets: { jsonl: string; json: string; txt: string; parquet: string };
  /** Where CLI cases write; checked to stay empty when a case is refused. */
  out: string;
  home: string;
}

/** A fresh fixture under `root` (a few hundred KB; ~100 ms). */
export function writeLoaderFixture(root: string): LoaderFixture {
  const tokenizer = byteLevelBpeJson();
  const vocab = tokenizer.eot + 1;
  const model = randomTransformer({ nLayers: 2, dModel: 16, nHeads: 2, dVocab: vocab, nCtx: 32, seed: 5, name: 'abuse-gpt2' });
  model.b_U.data.fill(0);
  const modelDir = path.join(root, 'model');
  writeGpt2Directory(modelDir, model);
  fs.writeFileSync(path.join(modelDir, 'tokenizer.json'), JSON.stringify(tokenizer.json));
  fs.writeFileSync(path.join(modelDir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>' }));
  const sae = randomSae({ dIn: 16, dSae: 48, k: 4, seed: 9 });
  const saeDir = writeSaeDir(path.join(root, 'sae_L1_hook_resid_post'), v6TopkCfg(16, 48, 4), {
    W_enc: { dtype: 'F32', shape: [16, 48], data: sae.W_enc.data },
    W_dec: { dtype: 'F32', shape: [48, 16], data: sae.W_dec.data },
    b_enc: { dtype: 'F32', shape: [48], data: sae.b_enc.data },
    b_dec: { dtype: 'F32', shape: [16], data: sae.b_dec.data },
  });
  const acts = path.join(root, 'acts.safetensors');
  writeSafetensors(acts, { 'blocks.1.hook_resid_post': { dtype: 'F32', shape: [4, 16], data: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)) } });
  const data = path.join(root, 'data');
  fs.mkdirSync(data);
  const texts = ['hello world', 'Step 1: boil the water', 'the end'];
  const datasets = { jsonl: path.join(data, 'd.jsonl'), json: path.join(data, 'd.json'), txt: path.join(data, 'd.txt'), parquet: path.join(data, 'd.parquet') };
  fs.writeFileSync(datasets.jsonl, texts.map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
  fs.writeFileSync(datasets.json, JSON.stringify(texts.map((text) => ({ text }))));
  fs.writeFileSync(datasets.txt, texts.join('\n') + '\n');
  parquetWriteFile({ filename: datasets.parquet, columnData: [{ name: 'text', data: texts, type: 'STRING' }] });
  const out = path.join(root, 'out');
  const home = path.join(root, 'home');
  fs.mkdirSync(out);
  fs.mkdirSync(home);
  return { root, sae: saeDir, model: modelDir, acts, datasets, out, home };
}

export const FIXED_DAMAGES = ['fifo', 'directory', 'socket', 'dangling-link', 'symlink-loop', 'empty', 'truncated', 'garbage', 'nan', 'inf'] as const;
export type Damage = (typeof FIXED_DAMAGES)[number];

export interface Target {
  name: string;
  /** The file this target reads that gets damaged. */
  file(f: LoaderFixture): string;
  run(f: LoaderFixture): unknown;
  /**
   * loader: must refuse a non-regular file (and NaN/Inf when `refusesNonFinite`), with a WorkbenchError;
   * inspect: may refuse, but must list NaN/Inf as a problem; library: never throws, the damaged item carries a problem.
   */
  kind: 'loader' | 'inspect' | 'library';
  refusesNonFinite?: boolean;
  /** An optional file: a dangling link or a symlink loop there reads as "absent", which is fine. */
  optional?: boolean;
}

const cli = async (args: string[]) => {
  const r = await runCliCaptured(args);
  if (r.code === 0) return r.out;
  // A refused command prints "Error: ... Hint: ..." and exits 1; anything else is a failure of the case.
  if (r.code === 1 && /^Error: /.test(r.err)) throw new WorkbenchError('CLI_REFUSED', r.err.trim());
  throw new Error(`exit ${r.code}: ${r.err}`);
};

async function drain(input: string): Promise<number> {
  let n = 0;
  for await (const doc of readDocuments(await planDataset(input))) n += doc.text.length > -1 ? 1 : 0;
  return n;
}

const library = (f: LoaderFixture) => recognizeTree(f.root, { origin: 'abuse', source: () => ({ type: 'local', root: f.root }) });
const encodeArgs = (f: LoaderFixture) => ['encode', '--sae', f.sae, '--in', f.acts, '--tensor', 'blocks.1.hook_resid_post', '--device', 'cpu', '--out', path.join(f.out, 'enc.safetensors')];

export const TARGETS: Target[] = [
  { name: 'loadSae cfg.json', kind: 'loader', file: (f) => path.join(f.sae, 'cfg.json'), run: (f) => loadSae(f.sae) },
  { name: 'loadSae weights', kind: 'loader', refusesNonFinite: true, file: (f) => path.join(f.sae, 'sae_weights.safetensors'), run: (f) => loadSae(f.sae) },
  { name: 'inspect SAE weights', kind: 'inspect', file: (f) => path.join(f.sae, 'sae_weights.safetensors'), run: (f) => inspectDirectory(f.sae) },
  { name: 'loadModel config.json', kind: 'loader', file: (f) => path.join(f.model, 'config.json'), run: (f) => loadModel(f.model) },
  { name: 'loadModel weights', kind: 'loader', refusesNonFinite: true, file: (f) => path.join(f.model, 'model.safetensors'), run: (f) => loadModel(f.model) },
  { name: 'inspect loose tensors (acts)', kind: 'inspect', file: (f) => f.acts, run: (f) => inspectDirectory(f.acts) },
  { name: 'inspect model weights', kind: 'inspect', file: (f) => path.join(f.model, 'model.safetensors'), run: (f) => inspectDirectory(f.model) },
  { name: 'loadTokenizer tokenizer.json', kind: 'loader', file: (f) => path.join(f.model, 'tokenizer.json'), run: (f) => loadTokenizer(f.model) },
  { name: 'loadTokenizer tokenizer_config.json', kind: 'loader', optional: true, file: (f) => path.join(f.model, 'tokenizer_config.json'), run: (f) => loadTokenizer(f.model) },
  { name: 'readSafetensors (--in)', kind: 'loader', file: (f) => f.acts, run: (f) => readSafetensors(f.acts) },
  { name: 'safetensors header', kind: 'loader', file: (f) => f.acts, run: (f) => readSafetensorsHeader(f.acts) },
  ...(['jsonl', 'json', 'txt', 'parquet'] as const).flatMap((k): Target[] => [
    { name: `datasetFileInfo .${k}`, kind: 'loader', file: (f) => f.datasets[k], run: (f) => datasetFileInfo(f.datasets[k]) },
    { name: `readDocuments .${k}`, kind: 'loader', file: (f) => f.datasets[k], run: (f) => drain(f.datasets[k]) },
  ]),
  { name: 'Library recognizeTree (model)', kind: 'library', file: (f) => path.join(f.model, 'model.safetensors'), run: library },
  { name: 'Library recognizeTree (SAE)', kind: 'library', file: (f) => path.join(f.sae, 'sae_weights.safetensors'), run: library },
  { name: 'Library recognizeTree (dataset)', kind: 'library', file: (f) => f.datasets.parquet, run: library },
  { name: 'CLI encode --in', kind: 'loader', refusesNonFinite: true, file: (f) => f.acts, run: (f) => cli(encodeArgs(f)) },
  { name: 'CLI encode --sae weights', kind: 'loader', refusesNonFinite: true, file: (f) => path.join(f.sae, 'sae_weights.safetensors'), run: (f) => cli(encodeArgs(f)) },
  { name: 'CLI acts --model weights', kind: 'loader', refusesNonFinite: true, file: (f) => path.join(f.model, 'model.safetensors'), run: (f) => cli(['acts', '--model', f.model, '--tokens', '1,2,3', '--hooks', 'blocks.1.hook_resid_post', '--device', 'cpu', '--out', path.join(f.out, 'acts.safetensors')]) },
  { name: 'CLI acts --text-file', kind: 'loader', file: (f) => f.datasets.txt, run: (f) => cli(['acts', '--model', f.model, '--text-file', f.datasets.txt, '--hooks', 'hook_embed', '--device', 'cpu', '--out', path.join(f.out, 'acts.safetensors')]) },
  { name: 'CLI inspect model config.json', kind: 'loader', file: (f) => path.join(f.model, 'config.json'), run: (f) => cli(['inspect', f.model]) },
  { name: 'CLI library add (SAE weights)', kind: 'inspect', file: (f) => path.join(f.sae, 'sae_weights.safetensors'), run: (f) => cli(['library', 'add', f.sae, '--home', f.home]) },
];

/** Float tensors of a safetensors file get NaN (or +Inf) written into `count` values, in place. */
function poisonWeights(file: string, value: number, rng: Rng | null, count = 3): void {
  const header = readSafetensorsHeader(file);
  const floats = header.entries.filter((e) => e.dtype === 'F32' && e.end > e.begin);
  if (floats.length === 0) throw new Error(`${file} has no F32 tensor to poison`);
  const fd = fs.openSync(file, 'r+');
  try {
    const bits = Buffer.alloc(4);
    bits.writeFloatLE(value);
    for (let i = 0; i < count; i++) {
      const e = rng ? floats[Math.floor(rng() * floats.length)] : floats[0];
      const n = (e.end - e.begin) / 4;
      const at = rng ? Math.floor(rng() * n) : i % n;
      fs.writeSync(fd, bits, 0, 4, header.dataStart + e.begin + at * 4);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A process that opens `fifo` for writing after `ms` (then closes it): a reader stuck on it gets EOF, so a regression fails instead of hanging. */
function unblocker(fifo: string, ms: number): ChildProcess {
  const child = spawn('sh', ['-c', `sleep ${ms / 1000}; : > "$0"`, fifo], { stdio: 'ignore', detached: true });
  child.unref();
  return child;
}

export interface Damaged {
  /** Undo what cannot simply be overwritten (a listening socket, the unblocker). */
  cleanup(): Promise<void>;
  /** Whether a case that took `ms` was stuck on the FIFO until the unblocker freed it: a hang. */
  hung(ms: number): boolean;
}

/** Replace `file` with the damage. `rng` picks random offsets and bytes (null: fixed ones). */
export async function damageFile(file: string, damage: Damage, rng: Rng | null = null): Promise<Damaged> {
  const original = fs.readFileSync(file);
  const clean = async () => {};
  const none: Damaged = { cleanup: clean, hung: () => false };
  const UNBLOCK_MS = 5000;
  switch (damage) {
    case 'fifo': {
      fs.rmSync(file);
      await new Promise<void>((resolve, reject) => spawn('mkfifo', [file]).on('exit', (c) => (c === 0 ? resolve() : reject(new Error('mkfifo failed')))));
      const child = unblocker(file, UNBLOCK_MS);
      return {
        cleanup: async () => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already done
          }
        },
        // A synchronous reader blocks the event loop, so the time it took is the evidence.
        hung: (ms) => ms >= UNBLOCK_MS - 500,
      };
    }
    case 'directory':
      fs.rmSync(file);
      fs.mkdirSync(file);
      return none;
    case 'socket': {
      fs.rmSync(file);
      const server = net.createServer().listen(file);
      await new Promise((r) => server.once('listening', r));
      return { cleanup: () => new Promise<void>((r) => server.close(() => r())), hung: () => false };
    }
    case 'dangling-link':
      fs.rmSync(file);
      fs.symlinkSync(path.join(path.dirname(file), 'does-not-exist'), file);
      return none;
    case 'symlink-loop':
      fs.rmSync(file);
      fs.symlinkSync(`${file}.loop`, file);
      fs.symlinkSync(file, `${file}.loop`);
      return none;
    case 'empty':
      fs.writeFileSync(file, '');
      return none;
    case 'truncated':
      fs.writeFileSync(file, original.subarray(0, rng ? Math.floor(rng() * original.length) : Math.floor(original.length / 2)));
      return none;
    case 'garbage': {
      const bytes = Buffer.from(original);
      const flips = rng ? 1 + Math.floor(rng() * 16) : 8;
      for (let i = 0; i < flips; i++) {
        const at = rng ? Math.floor(rng() * bytes.length) : Math.floor((bytes.length * (i + 1)) / (flips + 1));
        bytes[at] = rng ? Math.floor(rng() * 256) : bytes[at] ^ 0xa5;
      }
      fs.writeFileSync(file, bytes);
      return none;
    }
    case 'nan':
    case 'inf':
      if (!file.endsWith('.safetensors')) {
        fs.writeFileSync(file, original.toString('utf8').replace(/\d+(\.\d+)?/, damage === 'nan' ? 'NaN' : 'Infinity'));
        return none;
      }
      poisonWeights(file, damage === 'nan' ? Number.NaN : Number.POSITIVE_INFINITY, rng, rng ? 1 + Math.floor(rng() * 5) : 3);
      return none;
  }
}

export interface CaseOutcome {
  outcome: 'refused' | 'accepted' | 'failed';
  /** The WorkbenchError code when refused, or what went wrong when failed. */
  detail: string;
  ms: number;
}

/** Files under `dir` with size and mtime, to tell what a case wrote. */
export function snapshotTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) visit(p);
      else {
        const st = fs.lstatSync(p);
        out.set(p, `${st.size}:${st.mtimeMs}`);
      }
    }
  };
  visit(dir);
  return out;
}

/** Run one target against one damage on a fresh fixture under `root`; the outcome says whether the case held. */
export async function runLoaderCase(root: string, target: Target, damage: Damage, rng: Rng | null = null): Promise<CaseOutcome> {
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const f = writeLoaderFixture(root);
  const file = target.file(f);
  const damaged = await damageFile(file, damage, rng);
  const started = Date.now();
  const outBefore = fs.readdirSync(f.out).length;
  let result: CaseOutcome;
  try {
    const value = await target.run(f);
    const ms = Date.now() - started;
    const verdict = damaged.hung(ms) ? 'hung on a FIFO until it was unblocked' : acceptedVerdict(target, value, file, damage);
    result = { outcome: verdict ? 'failed' : 'accepted', detail: verdict ?? 'ok', ms };
  } catch (err) {
    const ms = Date.now() - started;
    if (damaged.hung(ms)) result = { outcome: 'failed', detail: 'hung on a FIFO until it was unblocked', ms };
    else if (!(err instanceof WorkbenchError)) result = { outcome: 'failed', detail: `not a WorkbenchError: ${(err as Error)?.stack ?? String(err)}`, ms };
    else if (target.kind === 'library') result = { outcome: 'failed', detail: `threw ${err.code}: ${err.message}`, ms };
    else result = { outcome: 'refused', detail: err.code === 'CLI_REFUSED' ? cliCode(err.message) : err.code, ms };
  } finally {
    await damaged.cleanup();
  }
  if (result.outcome === 'refused' && fs.readdirSync(f.out).length !== outBefore) result = { outcome: 'failed', detail: `refused but wrote ${fs.readdirSync(f.out).join(', ')}`, ms: result.ms };
  return result;
}

const NOT_A_FILE: Damage[] = ['fifo', 'directory', 'socket', 'dangling-link', 'symlink-loop'];

/** Why accepting this damage was wrong, or null when it was fine. */
function acceptedVerdict(target: Target, value: unknown, file: string, damage: Damage): string | null {
  const nonFinite = damage === 'nan' || damage === 'inf';
  if (target.kind === 'loader') {
    if (NOT_A_FILE.includes(damage) && !(target.optional && (damage === 'dangling-link' || damage === 'symlink-loop'))) return `accepted a ${damage} as ${path.basename(file)}`;
    if (nonFinite && target.refusesNonFinite) return `accepted ${damage} values in ${path.basename(file)}`;
    return null;
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (target.kind === 'inspect') {
    if (nonFinite && file.endsWith('.safetensors') && !/NaN|infinite/.test(text)) return `${damage} in ${path.basename(file)} not listed as a problem`;
    // A loop is not a file never downloaded: "missing" would send the user to the wrong fix.
    if (damage === 'symlink-loop' && !/symlink loop/.test(text)) return `a symlink loop at ${path.basename(file)} not reported as one`;
    return null;
  }
  // Library: the item the damaged file belongs to must say what is wrong with it.
  const items = value as { path: string; problems: string[] }[];
  const owner = items.find((i) => file === i.path || file.startsWith(i.path + path.sep));
  const unusable = [...NOT_A_FILE, 'nan', 'inf', 'empty', 'truncated'].includes(damage);
  if (!unusable || !owner) return null;
  return owner.problems.length > 0 ? null : `${path.basename(file)} (${damage}) listed without a problem`;
}

function cliCode(stderr: string): string {
  return `CLI refused: ${stderr.split('\n')[0].slice(7, 80)}`;
}
