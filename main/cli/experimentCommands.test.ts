import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../testing/cliRun';
import { makeTempDir } from '../testing/tempDirs';
import { FIXTURE_HOOK, writeExperimentFixture, type ExperimentFixture } from '../experiments/testing/experimentFixture';
import type { AblateArtifact } from '../../preload/api';

let fx: ExperimentFixture;
let dir: string;
let cleanup: () => void;
beforeAll(() => {
  const t = makeTempDir('experiment-cli');
  cleanup = t.cleanup;
  dir = t.dir;
  fx = writeExperimentFixture(t.dir);
});
afterAll(() => cleanup());

describe('experiment commands', () => {
  it('ablate --json prints exactly the contract object; --out writes the artifact it came from', async () => {
    const out = path.join(dir, 'ablate.json');
    const r = await runCliCaptured(['ablate', '--model', fx.model, '--sae', fx.sae, '--features', '4,22', '--dataset', fx.dataset, '--max-documents', '6', '--metric', 'logit:quickly', '--seeds', '3', '--draws', '2', '--device', 'cpu', '--json', '--out', out, '--home', dir]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(Object.keys(s)).toEqual(['metric', 'clean', 'ablated', 'effect', 'null', 'z', 'verdict']);
    expect(Object.keys(s.null)).toEqual(['seeds', 'mean', 'sem']);
    expect(s.null.seeds).toHaveLength(3);
    expect(s.metric).toBe('logit:quickly');
    const a = JSON.parse(fs.readFileSync(out, 'utf8')) as AblateArtifact;
    expect(a.params).toMatchObject({ features: [4, 22], maxDocuments: 6, seeds: 3, drawsPerSeed: 2, mode: 'zero', nullSeed: 0 });
    expect([s.clean, s.ablated, s.effect, s.z, s.verdict]).toEqual([a.clean, a.ablated, a.result.effect, a.result.z, a.result.verdict]);
    expect(s.null).toEqual({ seeds: a.result.null!.seeds, mean: a.result.null!.mean, sem: a.result.null!.sem });
  });

  it('ablate names the option at fault', async () => {
    const missing = await runCliCaptured(['ablate', '--model', fx.model, '--sae', fx.sae, '--dataset', fx.dataset, '--json']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/--features/);
    const seeds = await runCliCaptured(['ablate', '--model', fx.model, '--sae', fx.sae, '--features', '1', '--dataset', fx.dataset, '--seeds', '1', '--json']);
    expect(seeds.err).toMatch(/--seeds: .*2/);
    const features = await runCliCaptured(['ablate', '--model', fx.model, '--sae', fx.sae, '--features', '1,x', '--dataset', fx.dataset, '--json']);
    expect(features.err).toMatch(/--features: "x" is not an integer/);
    // Thousands of features on the command line: refused before onnxruntime starts, pointing to a queued job.
    const many = Array.from({ length: 5000 }, (_, i) => i).join(',');
    const long = await runCliCaptured(['ablate', '--model', fx.model, '--sae', fx.sae, '--features', many, '--dataset', fx.dataset, '--json']);
    expect(long.code).toBe(1);
    expect(long.err).toMatch(/ablate command line is \d+ bytes[\s\S]*Hint: Queue it as a job instead.*jobs add experiment\.ablate --params/);
  });

  it('steer, swap and probe print their summaries', async () => {
    const steer = await runCliCaptured(['steer', '--model', fx.model, '--sae', fx.sae, '--feature', '13', '--strength', '0,2', '--dataset', fx.dataset, '--max-documents', '4', '--seeds', '2', '--draws', '1', '--device', 'cpu', '--prompt', 'the cat', '--max-new-tokens', '3', '--json']);
    expect(steer.err).toBe('');
    const s = JSON.parse(steer.out);
    expect(s.panels[0].points.map((p: { strength: number }) => p.strength)).toEqual([0, 2]);
    expect(Object.keys(s.panels[0].points[0])).toEqual(['strength', 'steered', 'effect', 'null', 'z', 'verdict']);
    expect(s.panels[0].generation.prompt).toBe('the cat');
    const swap = await runCliCaptured(['swap', '--model-a', fx.model, '--model-b', fx.modelB, '--hook', FIXTURE_HOOK, '--dataset', fx.dataset, '--max-documents', '4', '--device', 'cpu', '--json']);
    expect(Object.keys(JSON.parse(swap.out))).toEqual(['metric', 'a', 'b', 'swapped', 'effect', 'gap_fraction', 'null', 'z', 'verdict']);
    const probe = await runCliCaptured(['probe', '--condition', 'token-regex:^the$', '--dataset', fx.dataset, '--probe', `model=${fx.model},hook=${FIXTURE_HOOK}`, '--probe', `model=${fx.model},sae=${fx.sae},label=latents`, '--device', 'cpu', '--json']);
    expect(probe.err).toBe('');
    const p = JSON.parse(probe.out);
    expect(p.probes.map((x: { label: string; source: string }) => [x.source, x.label])).toEqual([
      ['hook', expect.stringContaining(FIXTURE_HOOK)],
      ['sae', 'latents'],
    ]);
    const bad = await runCliCaptured(['probe', '--condition', 'token-regex:^the$', '--dataset', fx.dataset, '--probe', `model=${fx.model},layer=2`]);
    expect(bad.err).toMatch(/not model=, hook=, sae= or label=/);
  });
});
