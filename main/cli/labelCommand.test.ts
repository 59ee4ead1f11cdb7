import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { runCliCaptured as cli } from '../testing/cliRun';
import { sharedDemoBundle } from '../testing/sharedDemoBundle';
import { makeSparseFiles, makeTempDir } from '../testing/tempDirs';

/**
 * The CLI contract of issue 17: `sae-workbench label --sae <dir> --feature <f> --text "<label>"
 * [--note "<note>"]`, `label import --sae <dir> <file>` (how many were set, which rows were
 * skipped and why), `feature --json` with "label" and "note" (null when unset).
 */
const tmp = makeTempDir('label-cli');
afterAll(() => tmp.cleanup());
let demo: DemoBundlePaths;
let home: string;
let indexId: string;

function write(name: string, content: string): string {
  const file = path.join(tmp.dir, name);
  fs.writeFileSync(file, content);
  return file;
}

async function ok(args: string[]): Promise<string> {
  const r = await cli([...args, '--home', home]);
  expect(r.code, r.err).toBe(0);
  return r.out;
}

beforeAll(async () => {
  demo = sharedDemoBundle();
  home = path.join(tmp.dir, 'home');
  const r = await cli(['index', '--model', demo.models.adhd, '--sae', demo.saes.adhd, '--dataset', demo.dataset, '--max-documents', '12', '--device', 'cpu', '--home', home]);
  expect(r.code, r.err).toBe(0);
  indexId = JSON.parse(r.out.trim().split('\n').pop()!).index_ids[0];
}, 120_000);

describe('sae-workbench label', () => {
  it('sets a label and a note, prints them, and feature --json carries them (null when unset)', async () => {
    const set = JSON.parse(await ok(['label', '--sae', demo.saes.adhd, '--feature', '255', '--text', '  step\nonset ', '--note', 'Fires at "Step".\nFound by the diff.', '--json']));
    expect(set).toEqual({ sae: demo.saes.adhd, sae_key: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), feature: 255, label: 'step onset', note: 'Fires at "Step".\nFound by the diff.', previous: null });
    const f = JSON.parse(await ok(['feature', '--index', indexId, '--feature', '255', '--json']));
    expect([f.feature, f.label, f.note]).toEqual([255, 'step onset', 'Fires at "Step".\nFound by the diff.']);
    const unset = JSON.parse(await ok(['feature', '--index', indexId, '--feature', '3', '--json']));
    expect([unset.label, unset.note]).toEqual([null, null]);
    expect(await ok(['feature', '--index', indexId, '--feature', '255'])).toMatch(/^Feature 255 "step onset" of .*\n {2}note: Fires at "Step"\./);

    // A new label keeps the note unless --note is given; the previous value is reported (for undo).
    const again = JSON.parse(await ok(['label', '--sae', demo.saes.adhd, '--feature', '255', '--text', 'step onset (planted?)', '--json']));
    expect([again.label, again.note, again.previous.label]).toEqual(['step onset (planted?)', 'Fires at "Step".\nFound by the diff.', 'step onset']);
    expect(await ok(['label', '--sae', demo.saes.adhd, '--feature', '255', '--text', 'step onset'])).toContain('Feature #255 "step onset" of');
  });

  it('keeps labels with the weights: a copied folder has them, a retrained (changed) one does not', async () => {
    const copy = path.join(tmp.dir, 'moved', 'blocks.2.hook_resid_post');
    fs.cpSync(demo.saes.adhd, copy, { recursive: true });
    expect(JSON.parse(await ok(['label', '--sae', copy, '--feature', '255', '--json']))).toMatchObject({ feature: 255, label: 'step onset' });
    const weights = path.join(copy, 'sae_weights.safetensors');
    const bytes = fs.readFileSync(weights);
    bytes[bytes.length - 1] ^= 0x01;
    fs.writeFileSync(weights, bytes);
    expect(JSON.parse(await ok(['label', '--sae', copy, '--feature', '255', '--json']))).toEqual({ feature: 255, label: null, note: null });
  });

  it('imports CSV and JSON, printing how many were set and each skipped row with its reason', async () => {
    const csv = write('labels.csv', 'feature,label,note\n3,token "the",\n7,token seven,a note\nx,bad id,\n256,out of range,\n3,dup,\n');
    const out = await ok(['label', 'import', '--sae', demo.saes.adhd, csv]);
    expect(out).toBe(
      [
        `Set 2 labels of ${demo.saes.adhd} from ${csv} (csv; 2 usable rows, 0 replaced an older label, 0 already as stored).`,
        'Skipped 3 rows:',
        '  row 4 (id "x"): feature id "x" is not a whole number >= 0',
        '  row 5 (id "256"): feature 256 is out of range: this SAE has d_sae 256 (ids 0-255)',
        '  row 6 (id "3"): feature 3 was already labelled by row 2 (the first row for a feature is used)',
        '',
      ].join('\n'),
    );
    const json = write('np.json', JSON.stringify([{ modelId: 'demo-adhd', layer: '2-res', index: '3', description: 'the word the', typeName: 'oai_token-act-pair', explanationModelName: 'gpt-4o-mini' }, { modelId: 'demo-adhd', layer: '2-res', index: '7', description: 'token seven' }]));
    const report = JSON.parse(await ok(['label', 'import', '--sae', demo.saes.adhd, json, '--json']));
    expect(report).toMatchObject({ format: 'neuronpedia', rows: 2, set: 1, replaced: 1, unchanged: 1, skipped_count: 0, skipped: [] });
    expect(JSON.parse(await ok(['label', '--sae', demo.saes.adhd, '--feature', '3', '--json']))).toMatchObject({ label: 'the word the', source: 'neuronpedia gpt-4o-mini (oai_token-act-pair)' });
    // The CSV's note on feature 7 survives the Neuronpedia row, which has none.
    expect(JSON.parse(await ok(['label', '--sae', demo.saes.adhd, '--feature', '7', '--json']))).toMatchObject({ label: 'token seven', note: 'a note' });
  });

  it('refuses bad input with the message and hint: unknown SAE, feature out of range, no usable row, a FIFO, a huge file', async () => {
    const bad = async (args: string[]) => {
      const r = await cli([...args, '--home', home]);
      expect(r.code).toBe(1);
      return r.err;
    };
    expect(await bad(['label', '--sae', path.join(tmp.dir, 'nope'), '--feature', '1', '--text', 'x'])).toMatch(/^Error: There is no SAE folder at .*nope\.\nHint: /);
    expect(await bad(['label', '--sae', demo.models.adhd, '--feature', '1', '--text', 'x'])).toContain('has no cfg.json');
    expect(await bad(['label', '--sae', demo.saes.adhd, '--feature', '256', '--text', 'x'])).toContain('Feature 256 does not exist in the SAE');
    expect(await bad(['label', '--sae', demo.saes.adhd, '--feature', '1.5', '--text', 'x'])).toContain('--feature "1.5" must be a feature id');
    expect(await bad(['label', '--sae', demo.saes.adhd, '--feature', '1', '--text', 'x'.repeat(201)])).toContain('The label has 201 characters, over the 200 allowed.');
    const none = await cli(['label', 'import', '--sae', demo.saes.adhd, write('none.csv', 'feature,label\n999,x\n'), '--home', home]);
    expect([none.code, none.out]).toEqual([1, expect.stringContaining('Set 0 labels')]);
    const fifo = path.join(tmp.dir, 'labels.csv.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await bad(['label', 'import', '--sae', demo.saes.adhd, fifo])).toContain('is a named pipe (FIFO), not a regular file');
    const [huge] = makeSparseFiles(path.join(tmp.dir, 'huge'), 1, 200 * 1024 * 1024);
    const renamed = `${huge}.csv`;
    fs.renameSync(huge, renamed);
    expect(await bad(['label', 'import', '--sae', demo.saes.adhd, renamed])).toMatch(/is 209715200 bytes, over the 134217728-byte limit/);
  });

  it('lists labels, clears one with --text "", and exports them with the index as Parquet columns', async () => {
    await ok(['label', '--sae', demo.saes.adhd, '--feature', '7', '--text', '', '--note', '']);
    const list = JSON.parse(await ok(['label', 'list', '--sae', demo.saes.adhd, '--json']));
    expect(list.labels.map((l: { feature: number; label: string }) => [l.feature, l.label])).toEqual([
      [3, 'the word the'],
      [255, 'step onset'],
    ]);
    const out = path.join(tmp.dir, 'export');
    await ok(['index', 'export', indexId, '--format', 'parquet', '--out', out]);
    const buf = fs.readFileSync(path.join(out, 'feature_stats.parquet'));
    const rows = (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) })) as { feature: number; label: string | null; note: string | null }[];
    expect(rows).toHaveLength(256);
    expect([rows[255].label, rows[255].note, rows[3].label, rows[7].label, rows[0].note]).toEqual(['step onset', 'Fires at "Step".\nFound by the diff.', 'the word the', null, null]);
  });

  it('puts the label in experiment titles and verdicts', async () => {
    const r = await cli(['ablate', '--model', demo.models.adhd, '--sae', demo.saes.adhd, '--features', '255', '--dataset', demo.dataset, '--max-documents', '4', '--seeds', '2', '--draws', '1', '--device', 'cpu', '--json', '--home', home]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).verdict).toMatch(/^Zero-ablating feature #255 "step onset" in .* changes /);
    // Queued (not run: no app is open on this home), the job's title is written with the label.
    await ok(['jobs', 'add', 'experiment.ablate', '--params', JSON.stringify({ model: demo.models.adhd, sae: demo.saes.adhd, features: [255], dataset: demo.dataset, device: 'cpu' })]);
    await ok(['jobs', 'add', 'experiment.steer', '--params', JSON.stringify({ panels: [{ model: demo.models.adhd, sae: demo.saes.adhd, feature: 255 }, { model: demo.models.adhd, sae: demo.saes.adhd, feature: 4, intervention: 'ablate' }], dataset: demo.dataset, device: 'cpu' })]);
    const jobs = JSON.parse(await ok(['jobs', 'list', '--json'])) as { kind: string; title: string }[];
    // (Matched loosely: the rest of a title, how models and SAEs are named, is not this test's subject.)
    expect(jobs.find((j) => j.kind === 'experiment.steer')?.title).toMatch(/^Steer .*: #255 "step onset" add, #4 ablate/);
    expect(jobs.find((j) => j.kind === 'experiment.ablate')?.title).toMatch(/^Ablate feature #255 "step onset" of /);
  }, 120_000);

  it("applies the demo's ground truth only when asked", async () => {
    const fresh = path.join(tmp.dir, 'fresh-home');
    const before = await cli(['label', '--sae', demo.saes.standard, '--feature', '255', '--json', '--home', fresh]);
    expect(JSON.parse(before.out)).toEqual({ feature: 255, label: null, note: null });
    const applied = await cli(['label', 'demo-truth', '--sae', demo.saes.adhd, '--home', fresh]);
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toBe(`Set 256 ground-truth labels of ${demo.saes.standard}.\nSet 256 ground-truth labels of ${demo.saes.adhd}.\n`);
    const planted = await cli(['label', '--sae', demo.saes.adhd, '--feature', '255', '--json', '--home', fresh]);
    expect(JSON.parse(planted.out)).toMatchObject({ label: 'planted step-onset direction', source: 'demo ground truth' });
  });
});
