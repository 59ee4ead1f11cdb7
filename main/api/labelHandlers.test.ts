import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectionCosine, FeatureLabel, FeatureSearchHit, JobView, LabelImportReport, LabelSetResult, SaeLabels } from '../../preload/api';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { writeSafetensors } from '../formats/safetensors';
import { call, waitForJob } from '../testing/coreCalls';
import { sharedDemoBundle } from '../testing/sharedDemoBundle';
import { makeTempDir } from '../testing/tempDirs';
import { createCore, type Core } from './core';

const tmp = makeTempDir('label-api');
let demo: DemoBundlePaths;
let core: Core;
let indexId: string;

beforeAll(async () => {
  demo = sharedDemoBundle();
  core = createCore({ home: path.join(tmp.dir, 'home'), frontDoor: 'test' });
  const job = await call<JobView>(core, 'index.build', { modelPath: demo.models.adhd, saePaths: [demo.saes.adhd], datasetPath: demo.dataset, maxDocuments: 12, device: 'cpu', topN: 5 });
  const done = await waitForJob(core, job.id, (j) => j.state === 'completed' || j.state === 'failed', 120_000);
  expect(done.state, JSON.stringify(done.error)).toBe('completed');
  indexId = (done.result as { indexIds: string[] }).indexIds[0];
}, 150_000);
afterAll(async () => {
  await core?.close();
  tmp.cleanup();
});

async function error(method: string, params: unknown) {
  const r = await core.call(method, params);
  expect(r.ok).toBe(false);
  return (r as { ok: false; error: { code: string; message: string; hint?: string } }).error;
}

describe('label API', () => {
  it('sets by index and reads by SAE folder (one key: the weights), returns the previous value to undo with', async () => {
    const first = await call<LabelSetResult>(core, 'label.set', { index: indexId, feature: 255, label: 'step onset', note: 'fires at Step' });
    expect(first).toMatchObject({ sae: { saePath: demo.saes.adhd, dSae: 256, demo: true, key: expect.stringMatching(/^sha256:/) }, label: { feature: 255, label: 'step onset', note: 'fires at Step', source: 'edited' }, previous: null });
    expect(await call<FeatureLabel>(core, 'label.get', { sae: demo.saes.adhd, feature: 255 })).toMatchObject({ label: 'step onset', note: 'fires at Step' });
    const second = await call<LabelSetResult>(core, 'label.set', { sae: demo.saes.adhd, feature: 255, label: 'oops', note: '' });
    expect(second.previous).toMatchObject({ label: 'step onset', note: 'fires at Step' });
    // Undo = set the previous value back.
    await call(core, 'label.set', { index: indexId, feature: 255, label: second.previous!.label ?? '', note: second.previous!.note ?? '' });
    expect(await call<FeatureLabel>(core, 'label.get', { index: indexId, feature: 255 })).toMatchObject({ label: 'step onset', note: 'fires at Step' });
    expect(await call<FeatureLabel | null>(core, 'label.get', { index: indexId, feature: 4 })).toBeNull();
  });

  it('imports a file and lists every label of the SAE', async () => {
    const file = path.join(tmp.dir, 'labels.csv');
    fs.writeFileSync(file, 'feature,label,note\n4,quickly,"the token "" quickly"""\n9999,nope,\n');
    const report = await call<LabelImportReport>(core, 'label.import', { index: indexId, file });
    expect(report).toMatchObject({ format: 'csv', rows: 1, set: 1, replaced: 0, unchanged: 0, skippedCount: 1, skipped: [{ row: 3, id: '9999', reason: 'feature 9999 is out of range: this SAE has d_sae 256 (ids 0-255)' }] });
    const list = await call<SaeLabels>(core, 'label.list', { sae: demo.saes.adhd });
    expect(list.labels.map((l) => [l.feature, l.label, l.note])).toEqual([
      [4, 'quickly', 'the token " quickly"'],
      [255, 'step onset', 'fires at Step'],
    ]);
  });

  it('index.search finds features by label and by note text, beside ids and tokens', async () => {
    const search = (query: string) => call<FeatureSearchHit[]>(core, 'index.search', { id: indexId, query });
    expect((await search('ONSET')).slice(0, 1)).toEqual([{ feature: 255, reason: 'label "step onset"', hits: 0, best: 0 }]);
    expect((await search('fires at'))[0]).toEqual({ feature: 255, reason: 'note: fires at Step', hits: 0, best: 0 });
    expect((await search('255'))[0]).toMatchObject({ feature: 255, reason: 'feature id' });
    // A token search still ranks by top examples; the label match comes first.
    const step = await search('Step');
    expect(step[0]).toMatchObject({ feature: 255, reason: 'label "step onset"' });
    expect(step.slice(1).some((h) => /top example\(s\) peak on "Step"/.test(h.reason))).toBe(true);
  });

  it('refuses bad requests with named errors', async () => {
    expect(await error('label.set', { sae: demo.saes.adhd, index: indexId, feature: 1, label: 'x' })).toMatchObject({ code: 'INVALID_PARAMS', message: expect.stringContaining('exactly one of "sae"') });
    expect(await error('label.list', {})).toMatchObject({ code: 'INVALID_PARAMS' });
    expect(await error('label.set', { index: indexId, feature: 256, label: 'x' })).toMatchObject({ code: 'FEATURE_OUT_OF_RANGE', hint: 'Choose a feature from 0 to 255.' });
    expect(await error('label.get', { index: 'ix-0000000000', feature: 1 })).toMatchObject({ code: 'INDEX_NOT_FOUND' });
    expect(await error('label.get', { sae: path.join(tmp.dir, 'nowhere'), feature: 1 })).toMatchObject({ code: 'SAE_NOT_FOUND' });
    expect(await error('label.import', { sae: demo.saes.adhd, file: path.join(tmp.dir, 'missing.csv') })).toMatchObject({ code: 'FILE_NOT_READABLE' });
    expect(await error('label.applyDemoTruth', {})).toMatchObject({ code: 'DEMO_NOT_READY' });
    expect(await error('label.applyDemoTruth', { sae: demo.models.adhd })).toMatchObject({ code: 'NOT_A_DEMO_SAE' });
  });

  it('direction.cosine: a feature against a safetensors vector and against another SAE, refusing mismatched d_in', async () => {
    const planted = await call<DirectionCosine>(core, 'direction.cosine', { sae: demo.saes.adhd, feature: 255, against: { file: demo.plantedDirection, tensor: 'direction' } });
    expect(planted.cosine).toBeCloseTo(1, 6);
    expect(planted.a).toMatchObject({ description: 'W_dec[255] of demo-adhd/blocks.2.hook_resid_post', dIn: 64 });
    expect(planted.b.description).toBe('direction in planted_direction.safetensors');
    const pair = await call<DirectionCosine>(core, 'direction.cosine', { sae: demo.saes.adhd, feature: 3, against: { sae: demo.saes.standard, feature: 3 } });
    expect(pair.cosine).toBeGreaterThan(0.9);
    const small = path.join(tmp.dir, 'v3.safetensors');
    writeSafetensors(small, { v: { dtype: 'F32', shape: [3], data: Float32Array.from([1, 0, 0]) } });
    expect(await error('direction.cosine', { sae: demo.saes.adhd, feature: 3, against: { file: small } })).toMatchObject({ code: 'DIRECTION_SIZE_MISMATCH', message: expect.stringContaining('W_dec[3] of demo-adhd/blocks.2.hook_resid_post has 64 values (d_in 64) but v in v3.safetensors has 3') });
  });
});
