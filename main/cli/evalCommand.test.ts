import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { runCliCaptured } from '../testing/cliRun';
import { makeTempDir } from '../testing/tempDirs';
import { sharedDemoBundle } from '../train/testing/demoFixture';

/**
 * Issue 17: evaluating the demo's constructed SAE failed its gates (FVE -0.29) without a word. The
 * eval says it was constructed, not trained, keyed off the demo bundle's manifest: a copy of the
 * same folder outside the bundle (same name, same weights) gets no such note.
 */
const tmp = makeTempDir('eval-cli');
let demo: DemoBundlePaths;
beforeAll(() => {
  demo = sharedDemoBundle();
}, 180_000);
afterAll(tmp.cleanup);

const evalArgs = (sae: string, extra: string[] = []) => ['eval', '--model', demo.models.adhd, '--sae', sae, '--dataset', demo.dataset, '--tokens', '512', '--device', 'cpu', ...extra];

describe('eval on the demo bundle', () => {
  it("says a constructed demo SAE is constructed, not trained, in the table and in --json's \"constructed\"", async () => {
    const text = await runCliCaptured(evalArgs(demo.saes.adhd));
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/gate FVE >= [\d.]+: FAIL/);
    expect(text.out).toMatch(/\n {2}note: Constructed, not trained: this SAE is part of the demo bundle \(v\d+\)/);
    const res = await runCliCaptured(evalArgs(demo.saes.adhd, ['--json']));
    const json = JSON.parse(res.out.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(json.passed).toBe(false);
    // The same dictionary figures for any SAE (issue 18): finite numbers in --json.
    for (const key of ['duplicate_pct', 'dense_pct', 'max_cosine', 'mean_max_cosine']) expect(Number.isFinite(json[key]), key).toBe(true);
    expect(text.out).toMatch(/duplicates % +[\d.]+/);
    expect(json.constructed).toMatchObject({ bundleVersion: expect.any(Number), note: expect.stringContaining('not trained') });
  }, 120_000);

  it('keys the note off the bundle manifest, not the name: the same folder copied elsewhere has none', async () => {
    const copy = path.join(tmp.dir, 'saes', 'adhd', path.basename(demo.saes.adhd));
    fs.cpSync(demo.saes.adhd, copy, { recursive: true });
    const res = await runCliCaptured(evalArgs(copy, ['--json']));
    expect(res.code).toBe(0);
    const json = JSON.parse(res.out.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(json.constructed).toBeNull();
    expect((await runCliCaptured(evalArgs(copy))).out).not.toContain('note:');
  }, 120_000);
});
