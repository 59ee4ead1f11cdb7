/**
 * Issue 16's output-path reproductions on the command line: every command that writes a
 * user-chosen path goes through the one rule (outputs/outputPath). Each case failed before:
 * files deleted, inputs overwritten, stack traces, or a hang on /proc.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { writeExperimentFixture, type ExperimentFixture } from '../experiments/testing/experimentFixture';
import { runCliCaptured as cli } from '../testing/cliRun';
import { makeTempDir } from '../testing/tempDirs';
import { sharedDemoBundle } from '../train/testing/demoFixture';

const tmp = makeTempDir('output-paths-cli');
afterAll(tmp.cleanup);
let demo: DemoBundlePaths;
let fx: ExperimentFixture;
beforeAll(() => {
  demo = sharedDemoBundle();
  fx = writeExperimentFixture(path.join(tmp.dir, 'fixture'));
}, 180_000);

const HOOK = 'blocks.2.hook_resid_post';
const home = () => path.join(tmp.dir, 'home');
const hash = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
/** A folder's files and their hashes: proof that a refused command changed nothing. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) visit(p);
      else out[path.relative(dir, p)] = e.isFile() ? hash(p) : 'special';
    }
  };
  visit(dir);
  return out;
}
/** A copy of a demo model the test may modify (the shared bundle is read-only by convention). */
function copyOf(src: string, name: string): string {
  const dst = path.join(tmp.dir, name);
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}
/** A refused command: exit 1, "Error: ... Hint: ...", the code's words, no stack trace. */
function expectRefused(r: { code: number; err: string }, pattern: RegExp): void {
  expect(r.err).not.toMatch(/Unexpected error|at .*\.ts:\d+/);
  expect(r.code, r.err).toBe(1);
  expect(r.err).toMatch(/^Error: [\s\S]*\nHint: /);
  expect(r.err).toMatch(pattern);
}

const trainArgs = (out: string, extra: string[] = []) => [
  'train', '--model', demo.models.adhd, '--hook', HOOK, '--dataset', demo.dataset,
  '--k', '4', '--d-sae', '32', '--tokens', String(256 * 8), '--batch-size', '256', '--lr', '0.003', '--device', 'cpu',
  '--eval-tokens', '256', '--loop', '--out', out, '--home', home(), ...extra,
];

describe('train --out', () => {
  it('never deletes a user\'s files in DIR/<hook>/, refuses to replace an SAE there, and with --overwrite replaces only its own files', async () => {
    const out = path.join(tmp.dir, 'train-out');
    const hookDir = path.join(out, HOOK);
    fs.cpSync(demo.saes.adhd, hookDir, { recursive: true });
    fs.mkdirSync(path.join(hookDir, 'notes'));
    fs.writeFileSync(path.join(hookDir, 'notes', 'thesis.txt'), 'three years of work');
    fs.writeFileSync(path.join(out, 'README.md'), 'my folder');
    const before = tree(out);

    // Without --overwrite: refused before any work, nothing changed.
    const refused = await cli(trainArgs(out));
    expectRefused(refused, /files it would write exist[\s\S]*Hint: .*--overwrite/);
    expect(tree(out)).toEqual(before);

    // With --overwrite: the SAE is replaced; the thesis, the README and nothing else are kept.
    const r = await cli(trainArgs(out, ['--overwrite']));
    expect(r.code, r.err).toBe(0);
    expect(fs.readFileSync(path.join(hookDir, 'notes', 'thesis.txt'), 'utf8')).toBe('three years of work');
    expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toBe('my folder');
    expect(JSON.parse(fs.readFileSync(path.join(hookDir, 'cfg.json'), 'utf8')).d_sae).toBe(32);
    expect(hash(path.join(hookDir, 'sae_weights.safetensors'))).not.toBe(before[path.join(HOOK, 'sae_weights.safetensors')]);
    // The demo SAE's feature_labels.json is not a file training writes: it stays as it was.
    expect(fs.readdirSync(hookDir).sort()).toEqual(['cfg.json', 'feature_labels.json', 'notes', 'sae_weights.safetensors', 'sparsity.safetensors', 'training_config.json']);
    expect(hash(path.join(hookDir, 'feature_labels.json'))).toBe(before[path.join(HOOK, 'feature_labels.json')]);
    // No staging folders or temporary files left behind.
    expect(Object.keys(tree(out)).filter((f) => /staging|\.tmp/.test(f))).toEqual([]);
  }, 240_000);

  it('refuses an output inside the model or on /proc before any work (no hang)', async () => {
    const t = Date.now();
    expectRefused(await cli(trainArgs(path.join(demo.models.adhd, 'saes'))), /OUTPUT|lies inside --model/);
    expectRefused(await cli(trainArgs('/proc/x')), /special file system/);
    expectRefused(await cli(trainArgs('/proc/x/y/z')), /special file system/);
    expect(Date.now() - t).toBeLessThan(30_000);
  });
});

describe('acts, encode: never onto their own inputs', () => {
  it('acts --model X --out X/model.safetensors is refused and the model is untouched', async () => {
    const model = copyOf(demo.models.adhd, 'acts-model');
    const before = tree(model);
    const r = await cli(['acts', '--model', model, '--tokens', '1,2,3', '--hooks', HOOK, '--device', 'cpu', '--out', path.join(model, 'model.safetensors'), '--overwrite']);
    expectRefused(r, /--out .*model\.safetensors lies inside --model/);
    expect(tree(model)).toEqual(before);
    // Through a relative path from the working directory too (the CLI resolves it where the user is).
    const rel = path.relative(process.cwd(), path.join(model, 'tokenizer.json'));
    expectRefused(await cli(['acts', '--model', model, '--tokens', '1,2', '--hooks', HOOK, '--device', 'cpu', '--out', rel, '--overwrite']), /lies inside --model/);
    expect(tree(model)).toEqual(before);
  });

  it('acts --out onto an existing file needs --overwrite; a folder, a FIFO-like device or /proc is refused with a hint', async () => {
    const out = path.join(tmp.dir, 'acts.safetensors');
    fs.writeFileSync(out, 'precious');
    const args = (o: string, extra: string[] = []) => ['acts', '--model', demo.models.adhd, '--tokens', '1,2,3', '--hooks', HOOK, '--device', 'cpu', '--out', o, ...extra];
    expectRefused(await cli(args(out)), /acts\.safetensors" exists; nothing was changed[\s\S]*--overwrite/);
    expect(fs.readFileSync(out, 'utf8')).toBe('precious');
    const ok = await cli(args(out, ['--overwrite']));
    expect(ok.code, ok.err).toBe(0);
    expect(fs.readFileSync(out).subarray(8, 9).toString()).toBe('{');
    // EISDIR, ENOTDIR, /dev and /proc: clear errors, never a stack trace.
    expectRefused(await cli(args(tmp.dir, ['--overwrite'])), /is a folder; a file is written there/);
    expectRefused(await cli(args(path.join(out, 'x.safetensors'))), /is a file, so nothing can be created inside it/);
    expectRefused(await cli(args('/dev/null', ['--overwrite'])), /special file system/);
    expectRefused(await cli(args('/proc/x')), /special file system/);
    // A missing folder on the way is created (ENOENT used to be a stack trace).
    const deep = path.join(tmp.dir, 'new', 'deeper', 'a.safetensors');
    expect((await cli(args(deep))).code).toBe(0);
    expect(fs.existsSync(deep)).toBe(true);
  });

  it('encode --out onto its SAE\'s weights or its --in file is refused', async () => {
    const sae = copyOf(demo.saes.adhd, 'encode-sae');
    const acts = path.join(tmp.dir, 'encode-in.safetensors');
    expect((await cli(['acts', '--model', demo.models.adhd, '--tokens', '1,2,3', '--hooks', HOOK, '--device', 'cpu', '--out', acts])).code).toBe(0);
    const before = tree(sae);
    const actsHash = hash(acts);
    const encode = (out: string) => cli(['encode', '--sae', sae, '--in', acts, '--tensor', HOOK, '--device', 'cpu', '--out', out, '--overwrite']);
    expectRefused(await encode(path.join(sae, 'sae_weights.safetensors')), /lies inside --sae/);
    expectRefused(await encode(acts), /is --in itself/);
    expect(tree(sae)).toEqual(before);
    expect(hash(acts)).toBe(actsHash);
  });
});

describe('ablate --out (and the other experiments\' artifacts)', () => {
  const ablate = (out: string, extra: string[] = []) =>
    cli(['ablate', '--model', fx.model, '--sae', fx.sae, '--features', '4', '--dataset', fx.dataset, '--max-documents', '3', '--seeds', '2', '--draws', '1', '--device', 'cpu', '--json', '--out', out, '--home', home(), ...extra]);

  it('does not overwrite an existing file silently: refused before running, replaced with --overwrite', async () => {
    const out = path.join(tmp.dir, 'ablate.json');
    fs.writeFileSync(out, '{"mine": true}');
    expectRefused(await ablate(out), /ablate\.json" exists; nothing was changed/);
    expect(fs.readFileSync(out, 'utf8')).toBe('{"mine": true}');
    const r = await ablate(out, ['--overwrite']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).params.features).toEqual([4]);
  });

  it('refuses an artifact inside the model, the SAE or onto the dataset', async () => {
    const before = { model: tree(fx.model), sae: tree(fx.sae), data: hash(fx.dataset) };
    expectRefused(await ablate(path.join(fx.sae, 'cfg.json'), ['--overwrite']), /lies inside --sae/);
    expectRefused(await ablate(path.join(fx.model, 'result.json')), /lies inside --model/);
    expectRefused(await ablate(fx.dataset, ['--overwrite']), /is --dataset itself/);
    expect({ model: tree(fx.model), sae: tree(fx.sae), data: hash(fx.dataset) }).toEqual(before);
  });
});

describe('demo --out', () => {
  it('refuses a folder that is not empty, and with --overwrite replaces only the bundle\'s files', async () => {
    const out = path.join(tmp.dir, 'demo-out');
    fs.mkdirSync(path.join(out, 'models'), { recursive: true });
    fs.writeFileSync(path.join(out, 'models', 'mine.txt'), 'keep me');
    expectRefused(await cli(['demo', '--out', out, '--home', home()]), /is a folder that is not empty[\s\S]*--overwrite/);
    expect(tree(out)).toEqual({ [path.join('models', 'mine.txt')]: hash(path.join(out, 'models', 'mine.txt')) });
    const r = await cli(['demo', '--out', out, '--overwrite', '--home', home()]);
    expect(r.code, r.err).toBe(0);
    expect(fs.readFileSync(path.join(out, 'models', 'mine.txt'), 'utf8')).toBe('keep me');
    expect(fs.existsSync(path.join(out, 'bundle.json'))).toBe(true);
    expect(tree(path.join(out, 'models', 'adhd'))).toEqual(tree(demo.models.adhd));
    expectRefused(await cli(['demo', '--out', '/proc/demo', '--home', home()]), /special file system/);
  }, 120_000);
});
