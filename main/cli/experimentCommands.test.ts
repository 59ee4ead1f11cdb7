import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../testing/cliRun';
import { makeTempDir } from '../testing/tempDirs';
import { FIXTURE_HOOK, writeExperimentFixture, type ExperimentFixture } from '../experiments/testing/experimentFixture';
import { formatPValue, type AblateArtifact } from '../../preload/api';

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
    expect(Object.keys(s)).toEqual(['metric', 'clean', 'ablated', 'effect', 'null', 'z', 'p_value', 'verdict']);
    expect(Object.keys(s.null)).toEqual(['seeds', 'mean', 'sem', 'draws']);
    expect(s.null.seeds).toHaveLength(3);
    expect(s.metric).toBe('logit:quickly');
    const a = JSON.parse(fs.readFileSync(out, 'utf8')) as AblateArtifact;
    expect(a.params).toMatchObject({ features: [4, 22], maxDocuments: 6, seeds: 3, drawsPerSeed: 2, mode: 'zero', nullSeed: 0 });
    expect([s.clean, s.ablated, s.effect, s.z, s.p_value, s.verdict]).toEqual([a.clean, a.ablated, a.result.effect, a.result.z, a.result.pValue, a.result.verdict]);
    // Every single draw, seed by seed in draw order: the p-value follows from them and the effect alone.
    expect(s.null).toEqual({ seeds: a.result.null!.seeds, mean: a.result.null!.mean, sem: a.result.null!.sem, draws: a.result.null!.draws.flatMap((d) => d.effects) });
    expect(s.null.draws).toHaveLength(6);
    const m = s.null.draws.reduce((x: number, v: number) => x + v, 0) / 6;
    expect(s.p_value).toBe((1 + s.null.draws.filter((v: number) => Math.abs(v - m) >= Math.abs(s.effect - m)).length) / 7);
    expect(s.verdict).toContain(`p = ${formatPValue(s.p_value)}`);
  });

  it('--margin adds "margin" and "within_margin" to ablate, every steer point and swap', async () => {
    const common = ['--dataset', fx.dataset, '--max-documents', '4', '--seeds', '2', '--draws', '2', '--device', 'cpu', '--json'];
    const ablate = JSON.parse((await runCliCaptured(['ablate', '--model', fx.model, '--sae', fx.sae, '--features', '4', '--margin', '0.025', ...common])).out);
    expect(Object.keys(ablate)).toEqual(['metric', 'clean', 'ablated', 'effect', 'null', 'z', 'p_value', 'margin', 'within_margin', 'verdict']);
    const m = ablate.null.draws.reduce((x: number, v: number) => x + v, 0) / ablate.null.draws.length;
    expect(ablate.margin).toBe(0.025);
    expect(ablate.within_margin).toBe(Math.abs(ablate.effect - m) <= 0.025);
    expect(ablate.verdict).toMatch(/; (within|outside) the ±0\.0250 equivalence margin \(\|effect − mean of the draws\| = [^)]+\)\.$/);
    // A margin wide enough holds whatever the effect.
    expect(JSON.parse((await runCliCaptured(['ablate', '--model', fx.model, '--sae', fx.sae, '--features', '4', '--margin', '1000', ...common])).out).within_margin).toBe(true);
    const steer = JSON.parse((await runCliCaptured(['steer', '--model', fx.model, '--sae', fx.sae, '--feature', '13', '--strength', '0,2', '--margin', '0.5', ...common])).out);
    for (const pt of steer.panels[0].points) {
      expect(Object.keys(pt)).toEqual(['strength', 'steered', 'effect', 'null', 'z', 'p_value', 'margin', 'within_margin', 'verdict']);
      expect(pt.margin).toBe(0.5);
    }
    // A layer swap has no null: no p-value, and no margin test either (null), though the margin is recorded.
    const swap = JSON.parse((await runCliCaptured(['swap', '--model-a', fx.model, '--model-b', fx.modelB, '--hook', FIXTURE_HOOK, '--margin', '0.1', ...common])).out);
    expect(swap).toMatchObject({ null: null, p_value: null, margin: 0.1, within_margin: null });
    expect(swap.verdict).toContain('no equivalence test: the ±0.100 margin needs random draws');
    const bad = await runCliCaptured(['ablate', '--model', fx.model, '--sae', fx.sae, '--features', '4', '--margin=-1', ...common]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--margin: /);
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
    expect(Object.keys(s.panels[0].points[0])).toEqual(['strength', 'steered', 'effect', 'null', 'z', 'p_value', 'verdict']);
    expect(s.panels[0].points[0].null.draws).toHaveLength(2);
    expect(s.panels[0].generation.prompt).toBe('the cat');
    const swap = await runCliCaptured(['swap', '--model-a', fx.model, '--model-b', fx.modelB, '--hook', FIXTURE_HOOK, '--dataset', fx.dataset, '--max-documents', '4', '--device', 'cpu', '--json']);
    expect(Object.keys(JSON.parse(swap.out))).toEqual(['metric', 'a', 'b', 'swapped', 'effect', 'gap_fraction', 'null', 'z', 'p_value', 'verdict']);
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
