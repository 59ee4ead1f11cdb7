import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/main';
import { byteLevelBpeJson } from '../tokenize/testing/tinyTokenizers';
import { datasetFileInfo } from './datasetFiles';
import { inspectDirectory, type Inspection } from './inspect';
import { writeGpt2Directory } from './models/gpt2Writer';
import { writeHookedTransformerDirectory } from './models/hookedTransformerWriter';
import { parquetWithRowCount } from './testing/parquetFooter';
import { writeSafetensors } from './safetensors';
import { randomCrosscoder, writeCrosscoderDir } from './testing/crosscoderFixture';
import { randomSaeTensors, v6TopkCfg, writeSaeDir } from './testing/saeFixture';
import { randomTransformer, tinyConfig } from './testing/transformerFixture';
import { errorOf } from '../testing/workbenchErrors';

const root = mkdtempSync(join(tmpdir(), 'inspect-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const model = join(root, 'hub', 'models--org--tiny', 'snapshots', 'abc');
const tl = join(root, 'tl');
const sae = join(root, 'release', 'blocks.1.hook_resid_post');
const data = join(root, 'data');
writeGpt2Directory(model, randomTransformer(tinyConfig(), 1));
writeFileSync(join(model, 'tokenizer.json'), JSON.stringify(byteLevelBpeJson().json));
writeHookedTransformerDirectory(tl, randomTransformer(tinyConfig({ normalization: 'LNPre' }), 2, false));
writeSaeDir(sae, v6TopkCfg(8, 32, 4), randomSaeTensors(8, 32, 3), new Float32Array(32));
mkdirSync(join(data, 'train'), { recursive: true });
writeFileSync(join(data, 'train', 'a.jsonl'), '{"text":"a"}\n\n{"text":"b"}\r\n{"text":"c"}');
writeFileSync(join(data, 'train', 'b.parquet'), parquetWithRowCount(1234));
writeFileSync(join(data, 'dataset_info.json'), '{}');
writeFileSync(join(data, 'README.md'), '# data');

describe('inspectDirectory', () => {
  it('describes an HF model snapshot, naming it by repo id', () => {
    const x = inspectDirectory(model);
    const c = tinyConfig();
    expect(x).toMatchObject({ kind: 'model', format: 'hf-gpt2', architecture: 'GPT2LMHeadModel', name: 'org/tiny', layers: 2, dModel: 8, heads: 2, dHead: 4, dMlp: 32, vocab: 11, nCtx: 6, normalization: 'LN', activation: 'gelu_new', weightFiles: ['model.safetensors'], weightDtypes: ['F32'], hasTokenizer: true });
    const perBlock = 4 * c.dModel + 3 * c.dModel * c.dModel + 3 * c.dModel + c.dModel * c.dModel + c.dModel + 2 * c.dModel * c.dMlp + c.dMlp + c.dModel;
    expect((x as { params: number }).params).toBe(c.dVocab * c.dModel + c.nCtx * c.dModel + c.nLayers * perBlock + 2 * c.dModel);
    // A file inside the folder stands for the folder.
    expect(inspectDirectory(join(model, 'model.safetensors')).kind).toBe('model');
  });

  it('follows refs/main when given an HF cache repo folder', () => {
    const repo = join(root, 'hub', 'models--org--cached');
    const sha = 'a'.repeat(40);
    writeGpt2Directory(join(repo, 'snapshots', sha), randomTransformer(tinyConfig(), 6));
    mkdirSync(join(repo, 'refs'));
    writeFileSync(join(repo, 'refs', 'main'), sha);
    expect(inspectDirectory(repo)).toMatchObject({ kind: 'model', name: 'org/cached', path: join(repo, 'snapshots', sha) });
  });

  it('describes a TransformerLens folder', () => {
    expect(inspectDirectory(tl)).toMatchObject({ kind: 'model', format: 'hooked-transformer', normalization: 'LNPre', hasTokenizer: false });
  });

  it('describes a sae_lens folder and reports shape disagreements without failing', () => {
    expect(inspectDirectory(sae)).toMatchObject({ kind: 'sae', architecture: 'topk', dIn: 8, dSae: 32, k: 4, hook: 'blocks.1.hook_resid_post', layer: 1, modelName: 'tiny-gpt2', cfgGeneration: 'v6', dtype: 'float32', weightDtypes: ['F32'], hasSparsity: true, problems: [] });
    const odd = writeSaeDir(join(root, 'odd'), v6TopkCfg(8, 16, 4), randomSaeTensors(8, 32, 3));
    expect((inspectDirectory(odd) as { problems: string[] }).problems).toEqual(['W_enc is [8, 32] but cfg.json implies [8, 16]', 'W_dec is [32, 8] but cfg.json implies [16, 8]', 'b_enc is [32] but cfg.json implies [16]']);
  });

  it('describes a crosscoder folder (not as an SAE): both models and hooks, the input scales, shape disagreements', async () => {
    const dir = writeCrosscoderDir(join(root, 'cc', 'crosscoder'), randomCrosscoder(8, 16, 2, 1, { modelA: 'demo-standard', modelB: 'demo-adhd', hookNameA: 'blocks.2.hook_resid_post', hookNameB: 'blocks.2.hook_mlp_out' }));
    const x = inspectDirectory(dir);
    expect(x).toMatchObject({ kind: 'crosscoder', dIn: 8, dSae: 16, k: 2, modelA: 'demo-standard', modelB: 'demo-adhd', hookA: 'blocks.2.hook_resid_post', hookB: 'blocks.2.hook_mlp_out', weightDtypes: ['F32'], problems: [] });
    // Its weights file stands for the folder, as an SAE's does.
    expect(inspectDirectory(join(dir, 'crosscoder_weights.safetensors')).kind).toBe('crosscoder');
    const text = await runCli(['inspect', dir], { stdout: (l) => lines.push(l), stderr: (l) => lines.push(l) }).then(() => lines.join('\n'));
    expect(text).toMatch(/^Crosscoder  crosscoder demo-standard ↔ demo-adhd · 16 latents · k 2 \(cc\/crosscoder\)  \(batchtopk_crosscoder, k=2, d_in 8, d_sae 16\)/);
    expect(text).toContain('Model B     demo-adhd, hook blocks.2.hook_mlp_out, inputs divided by');
    // A damaged weights file or a tensor the loader refuses are listed too, with what cfg.json said.
    const truncated = writeCrosscoderDir(join(root, 'cc-truncated'), randomCrosscoder(8, 16, 2, 3));
    writeFileSync(join(truncated, 'crosscoder_weights.safetensors'), 'abc');
    const t = inspectDirectory(truncated) as { kind: string; dIn: number; problems: string[] };
    expect([t.kind, t.dIn]).toEqual(['crosscoder', 8]);
    expect(t.problems).toEqual([expect.stringMatching(/^crosscoder_weights\.safetensors cannot be read: /)]);
    const cc = randomCrosscoder(8, 16, 2, 4);
    const extra = writeCrosscoderDir(join(root, 'cc-extra'), cc);
    writeSafetensors(join(extra, 'crosscoder_weights.safetensors'), { W_enc: { dtype: 'F32', shape: [2, 8, 16], data: cc.W_enc.data }, b_enc: { dtype: 'F32', shape: [16], data: cc.b_enc.data }, W_dec: { dtype: 'F32', shape: [2, 16, 8], data: cc.W_dec.data }, b_dec: { dtype: 'F32', shape: [2, 8], data: cc.b_dec.data }, threshold: { dtype: 'F32', shape: [16], data: cc.threshold.data }, scale: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
    expect((inspectDirectory(extra) as { problems: string[] }).problems).toEqual(['crosscoder_weights.safetensors holds tensors a crosscoder does not have: scale (the loader refuses it)']);
    // A cfg that disagrees with the weights is listed, not thrown.
    const odd = writeCrosscoderDir(join(root, 'cc-odd'), randomCrosscoder(8, 16, 2, 2), { d_sae: 12 });
    expect((inspectDirectory(odd) as { problems: string[] }).problems).toContain('W_enc is [2, 8, 16] but cfg.json implies [2, 8, 12]');
  });
  const lines: string[] = [];

  it('describes dataset folders and files with cheap row counts', () => {
    const x = inspectDirectory(data);
    expect(x).toMatchObject({ kind: 'dataset', format: 'mixed', rows: 3 + 1234 });
    expect((x as { files: { file: string; rows: number | null }[] }).files.map((f) => [f.file, f.rows])).toEqual([
      [join('train', 'a.jsonl'), 3],
      [join('train', 'b.parquet'), 1234],
    ]);
    expect(inspectDirectory(join(data, 'train', 'b.parquet'))).toMatchObject({ kind: 'dataset', format: 'parquet', rows: 1234 });
    const txt = join(root, 'lines.txt');
    writeFileSync(txt, 'one\ntwo\n   \nthree\n');
    expect(inspectDirectory(txt)).toMatchObject({ kind: 'dataset', format: 'text', rows: 3 });
    const json = join(root, 'rows.json');
    writeFileSync(json, JSON.stringify([{ text: 'a' }, { text: 'b' }]));
    expect(datasetFileInfo(json)).toMatchObject({ format: 'json', rows: 2, topLevel: 'array' });
    // Hugging Face's json loader also takes JSON Lines in a .json file.
    const jsonl = join(root, 'lines.json');
    writeFileSync(jsonl, '{"text":"a"}\n{"text":"b"}\n{"text":"c"}\n');
    expect(datasetFileInfo(jsonl)).toMatchObject({ format: 'jsonl', rows: 3 });
    writeFileSync(join(root, 'junk.json'), 'not json at all');
    expect(errorOf(() => datasetFileInfo(join(root, 'junk.json'))).message).toMatch(/is neither JSON nor JSON Lines/);
    writeFileSync(join(root, 'broken.parquet'), Buffer.from('PAR1 not really'));
    expect(errorOf(() => inspectDirectory(join(root, 'broken.parquet'))).code).toBe('DATASET_INVALID');
  });

  it('lists the models, SAEs and dataset files of a collection folder, nested up to four levels', () => {
    const x = inspectDirectory(join(root, 'release'));
    expect(x).toMatchObject({ kind: 'unknown', children: [{ name: 'blocks.1.hook_resid_post', kind: 'sae' }] });
    const bundle = join(root, 'bundle');
    writeSaeDir(join(bundle, 'saes', 'gpt2', 'layer_3', 'width_16'), v6TopkCfg(8, 16, 2), randomSaeTensors(8, 16, 4));
    writeGpt2Directory(join(bundle, 'models', 'tiny'), randomTransformer(tinyConfig(), 5));
    writeFileSync(join(bundle, 'corpus.jsonl'), '{"text":"x"}\n');
    writeFileSync(join(bundle, 'manifest.json'), '{"version":1}');
    const y = inspectDirectory(bundle);
    expect(y).toMatchObject({ kind: 'unknown', reason: 'a collection: 1 model(s), 1 SAE(s), 1 dataset file(s); inspect each path' });
    expect((y as { children: unknown[] }).children).toEqual([
      { name: 'corpus.jsonl', kind: 'dataset' },
      { name: join('models', 'tiny'), kind: 'model' },
      { name: join('saes', 'gpt2', 'layer_3', 'width_16'), kind: 'sae' },
    ]);
    const mamba = join(root, 'mamba');
    mkdirSync(mamba);
    writeFileSync(join(mamba, 'config.json'), JSON.stringify({ model_type: 'mamba' }));
    expect((inspectDirectory(mamba) as { reason: string }).reason).toMatch(/describes a "mamba" model, which is not a supported model format \(supported: hf-gpt2, hooked-transformer, hf-gpt-neox, hf-llama\)/);
  });

  it('fails loudly on missing paths and damaged configs', () => {
    expect(errorOf(() => inspectDirectory(join(root, 'nope'))).code).toBe('PATH_NOT_FOUND');
    const bad = join(root, 'badsae');
    mkdirSync(bad);
    writeFileSync(join(bad, 'cfg.json'), JSON.stringify({ d_in: 'x' }));
    expect(errorOf(() => inspectDirectory(bad)).code).toBe('SAE_CONFIG_INVALID');
  });
});

/** Replace `file` with a two-link loop (file -> loop-b -> file). */
function makeLoop(file: string): void {
  rmSync(file, { force: true });
  symlinkSync(`${file}.loop-b`, file);
  symlinkSync(file, `${file}.loop-b`);
}

describe('inspect: links that lead nowhere, and loose tensor files', () => {
  it('an SAE whose weights file is a symlink loop says so, not "missing"; a dangling link names its target', () => {
    const dir = join(root, 'loop-sae');
    cpSync(sae, dir, { recursive: true });
    makeLoop(join(dir, 'sae_weights.safetensors'));
    const x = inspectDirectory(dir);
    expect(x.kind).toBe('sae');
    const problems = (x as { problems: string[] }).problems;
    expect(problems).toEqual([expect.stringMatching(/^sae_weights\.safetensors is a symlink loop .*: the SAE cannot be loaded; replace the link/)]);
    expect(problems.join()).not.toMatch(/missing/);

    rmSync(join(dir, 'sae_weights.safetensors'));
    symlinkSync(join(root, 'gone.safetensors'), join(dir, 'sae_weights.safetensors'));
    makeLoop(join(dir, 'sparsity.safetensors'));
    expect((inspectDirectory(dir) as { problems: string[] }).problems).toEqual([
      `sae_weights.safetensors is a link to ${join(root, 'gone.safetensors')}, which does not exist: the SAE cannot be loaded; replace the link with the weights file (or download the SAE again)`,
      expect.stringMatching(/^sparsity\.safetensors is a symlink loop/),
    ]);
    // Nothing there at all is still "missing".
    rmSync(join(dir, 'sae_weights.safetensors'));
    expect((inspectDirectory(dir) as { problems: string[] }).problems[0]).toMatch(/^sae_weights\.safetensors is missing/);
  });

  it('a model whose weights file is a symlink loop is refused naming the loop; so is a loop given as the path', () => {
    const dir = join(root, 'loop-model');
    cpSync(model, dir, { recursive: true });
    makeLoop(join(dir, 'model.safetensors'));
    const err = errorOf(() => inspectDirectory(dir));
    expect(err).toMatchObject({ code: 'SYMLINK_LOOP', message: `${join(dir, 'model.safetensors')} is a symlink loop: its links lead back to themselves and never reach a file.` });
    expect(errorOf(() => inspectDirectory(join(dir, 'model.safetensors')))).toMatchObject({ code: 'SYMLINK_LOOP', message: expect.stringContaining('symlink loop') });
  });

  it('a loose .safetensors is inspected as a file: tensors, dtypes, shapes, metadata and a finite check, siblings untouched', () => {
    const dir = join(root, 'outputs');
    mkdirSync(dir);
    // Unrelated siblings that would fail as a folder: an unsupported config, a broken cfg.json in a subfolder, a loop.
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'mamba' }));
    writeFileSync(join(dir, 'cfg.json'), '{ not json');
    makeLoop(join(dir, 'other.safetensors'));
    const acts = join(dir, 'acts.safetensors');
    writeSafetensors(
      acts,
      {
        'blocks.1.hook_resid_post': { dtype: 'F32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => (i === 5 ? Number.NaN : i)) },
        tokens: { dtype: 'I64', shape: [3], data: BigInt64Array.from([1n, 2n, 3n]) },
      },
      { source: 'sae-workbench acts', model: 'tiny' },
    );
    const x = inspectDirectory(acts);
    expect(x).toMatchObject({
      kind: 'tensors',
      path: acts,
      metadata: { source: 'sae-workbench acts', model: 'tiny' },
      tensors: [
        { name: 'blocks.1.hook_resid_post', dtype: 'F32', shape: [3, 4], elements: 12 },
        { name: 'tokens', dtype: 'I64', shape: [3], elements: 3 },
      ],
      dtypes: ['F32', 'I64'],
      elements: 15,
      problems: ['tensor "blocks.1.hook_resid_post" holds 1 NaN value of 12'],
    });
    expect((x as { bytes: number }).bytes).toBeGreaterThan(12 * 4 + 3 * 8);
    // Weights of a real item still stand for it.
    expect(inspectDirectory(join(sae, 'sae_weights.safetensors')).kind).toBe('sae');
    expect(inspectDirectory(join(model, 'model.safetensors')).kind).toBe('model');
    // A safetensors beside a model that is not one of its weight files is a file of its own.
    const extra = join(model, 'probe_direction.safetensors');
    writeSafetensors(extra, { direction: { dtype: 'F32', shape: [8], data: new Float32Array(8) } });
    try {
      expect(inspectDirectory(extra)).toMatchObject({ kind: 'tensors', tensors: [{ name: 'direction', shape: [8] }], problems: [] });
    } finally {
      rmSync(extra);
    }
  });
});

describe('sae-workbench inspect', () => {
  async function cli(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['inspect', ...args], { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('prints the inspection as JSON', async () => {
    const r = await cli(sae, '--json');
    expect(r.code).toBe(0);
    const x = JSON.parse(r.out) as Inspection;
    // The inspection plus the identity label every other view shows.
    expect(x).toEqual({ ...inspectDirectory(sae), label: 'tiny-gpt2/blocks.1.hook_resid_post · 32 features · k 4' });
  });

  it('prints a readable summary', async () => {
    const r = await cli(model);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Model +org\/tiny +\(hf-gpt2, GPT2LMHeadModel\)/);
    expect(r.out).toMatch(/2 layers, d_model 8, 2 heads x 4, d_mlp 32, vocab 11, context 6/);
    expect((await cli(sae)).out).toMatch(/SAE +tiny-gpt2\/blocks\.1\.hook_resid_post · 32 features · k 4 {2}\(topk, k=4, d_in 8, d_sae 32\)\nPath .*\nHook +blocks\.1\.hook_resid_post \(layer 1\) on tiny-gpt2/);
    expect((await cli(data)).out).toMatch(/Dataset +mixed, 2 files, .*, 1237 rows/);
  });

  it('prints a loose tensor file\'s tensors', async () => {
    const file = join(root, 'loose.safetensors');
    writeSafetensors(file, { x: { dtype: 'F32', shape: [2, 3], data: new Float32Array(6) } }, { note: 'hi' });
    const r = await cli(file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Tensors +1 in loose\.safetensors, 6 values \[F32\]/);
    expect(r.out).toContain('  x  F32  [2, 3]');
    expect(r.out).toContain('Metadata    note=hi');
    expect(r.out).toContain('Values      all finite');
  });

  it('exits non-zero with the message and hint on errors', async () => {
    const r = await cli(join(root, 'nope'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: .*nope: does not exist\.\nHint: Check the path/);
    expect((await cli()).code).toBe(1);
  });
});
