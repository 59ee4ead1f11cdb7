import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../preload/api';
import { createCore } from '../api/core';
import { runCliCaptured as cli } from '../testing/cliRun';
import { call, waitForJob } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';
import { asyncErrorOf } from '../testing/workbenchErrors';
import { loadExperimentModel } from './experimentInputs';
import { generateTokens } from './generation';
import { FIXTURE_HOOK, writeExperimentFixture, writeOverflowingModel, writeOverflowingSae, type ExperimentFixture } from './testing/experimentFixture';

/**
 * Issue 16: a model whose finite weights overflow gave `ablate`/`steer` "changes ... by NaN: no
 * different from random" with exit 0, `swap` "moves NaN% of the way", `eval` FVE null and `probe`
 * an AUROC from NaN inputs. Every experiment and eval path now stops with NONFINITE_OUTPUT, exits
 * non-zero and writes no artifact.
 */
let fx: ExperimentFixture;
let dir: string;
let cleanup: () => void;
let brokenBefore: string;
let brokenAfter: string;
let brokenSae: string;
beforeAll(() => {
  const t = makeTempDir('nonfinite-outputs');
  ({ dir, cleanup } = t);
  fx = writeExperimentFixture(dir);
  brokenBefore = writeOverflowingModel(path.join(dir, 'overflow-before-hook'), fx, 'before-hook');
  brokenAfter = writeOverflowingModel(path.join(dir, 'overflow-after-hook'), fx, 'after-hook');
  brokenSae = writeOverflowingSae(path.join(dir, 'overflow-sae'), fx);
});
afterAll(() => cleanup());

const KEPT = /holds \d+ (NaN|infinite|non-finite) values? of \d+ \(the first in row \d+\); nothing from it was kept\./;
const NONFINITE = new RegExp(`${KEPT.source}\nHint: The model or SAE overflows`);
const common = () => ['--dataset', fx.dataset, '--max-documents', '4', '--device', 'cpu', '--home', dir];

describe('an overflowing model or SAE gives an error, never a verdict', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['ablate (NaN at the hook: the density pass)', () => ['ablate', '--model', brokenBefore, '--sae', fx.sae, '--features', '4', '--metric', 'logit:quickly', '--seeds', '2', '--draws', '1'], /^Error: the feature-density pass of the SAE at blocks\.1\.hook_resid_post: blocks\.1\.hook_resid_post \[\d+, 16\] holds/],
    ['ablate (NaN logits after the hook)', () => ['ablate', '--model', brokenAfter, '--sae', fx.sae, '--features', '4', '--metric', 'logit:quickly', '--seeds', '2', '--draws', '1'], /^Error: ablating, documents 0-3 of .*docs\.jsonl, run "clean": logits \(window 0\) \[\d+, 22\] holds/],
    ['ablate (an SAE that overflows)', () => ['ablate', '--model', fx.model, '--sae', brokenSae, '--features', '4', '--seeds', '2', '--draws', '1'], /^Error: the feature-density pass of the SAE at blocks\.1\.hook_resid_post: feature_values/],
    ['steer', () => ['steer', '--model', brokenAfter, '--sae', fx.sae, '--feature', '13', '--strength', '0,2', '--seeds', '2', '--draws', '1', '--prompt', 'the cat'], /run "clean": loss \(window 0\)/],
    ['swap (layers)', () => ['swap', '--model-a', fx.model, '--model-b', brokenAfter, '--hook', FIXTURE_HOOK], /^Error: swapping, documents 0-3 of .*, run "b": loss/],
    ['swap (latents)', () => ['swap', '--model-a', brokenBefore, '--model-b', fx.model, '--mode', 'latents', '--sae', fx.sae, '--features', '1,2', '--seeds', '2', '--draws', '1'], /^Error: swapping, documents 0-3 of .*: blocks\.1\.hook_resid_post \(window 0\)/],
    ['probe (hook)', () => ['probe', '--condition', 'token-regex:^the$', '--probe', `model=${brokenBefore},hook=${FIXTURE_HOOK}`], /^Error: probe overflow-before-hook · blocks\.1\.hook_resid_post, windows 0-\d+: blocks\.1\.hook_resid_post \(window 0\)/],
    ['probe (SAE latents)', () => ['probe', '--condition', 'token-regex:^the$', '--probe', `model=${fx.model},sae=${brokenSae}`], /^Error: probe .*latents, windows 0-\d+, SAE blocks\.1\.hook_resid_post: feature_values/],
  ];
  for (const [name, args, message] of cases) {
    it(`${name}: exit 1, NONFINITE_OUTPUT's message, no artifact`, async () => {
      const out = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
      const r = await cli([...args(), ...common(), '--json', '--out', out]);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(NONFINITE);
      expect(fs.existsSync(out)).toBe(false);
    });
  }

  it('eval: exit 1 instead of FVE null', async () => {
    for (const model of [brokenBefore, brokenAfter]) {
      const r = await cli(['eval', '--model', model, '--sae', fx.sae, '--dataset', fx.dataset, '--tokens', '64', '--device', 'cpu', '--json', '--home', dir]);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^Error: the evaluation of windows 0-\d+, clean model: /);
      expect(r.err).toMatch(NONFINITE);
    }
    const sae = await cli(['eval', '--model', fx.model, '--sae', brokenSae, '--dataset', fx.dataset, '--tokens', '64', '--device', 'cpu', '--json', '--home', dir]);
    expect(sae.err).toMatch(/^Error: the evaluation of windows 0-\d+, SAE blocks\.1\.hook_resid_post: (sae_out|feature_values)/);
  });

  it('generation refuses NaN logits rather than sampling token 0 from them', async () => {
    const model = loadExperimentModel(brokenAfter);
    const err = await asyncErrorOf(() => generateTokens(model, model.tokenizer.encode('the cat'), { maxNewTokens: 3, temperature: 0, seed: 1, device: 'cpu' }));
    expect(err.code).toBe('NONFINITE_OUTPUT');
    expect(err.message).toMatch(/^generating token 1: next-token logits \[1, 22\] holds 22 NaN values/);
  });

  it('as queued jobs: experiment.ablate and eval.sae fail with NONFINITE_OUTPUT and leave no experiment.json', async () => {
    const home = path.join(dir, 'jobs-home');
    const core = createCore({ home, frontDoor: 'test' });
    try {
      const ablate = await call<JobView>(core, 'jobs.add', { kind: 'experiment.ablate', params: { model: brokenAfter, sae: fx.sae, features: [4], dataset: fx.dataset, maxDocuments: 4, seeds: 2, drawsPerSeed: 1, device: 'cpu' } });
      const evalJob = await call<JobView>(core, 'jobs.add', { kind: 'eval.sae', params: { model: brokenBefore, sae: fx.sae, dataset: fx.dataset, tokens: 64, device: 'cpu' } });
      for (const job of [ablate, evalJob]) {
        const done = await waitForJob(core, job.id, (j) => ['completed', 'failed'].includes(j.state), 90_000);
        expect(done.state).toBe('failed');
        expect(done.error).toMatchObject({ code: 'NONFINITE_OUTPUT', message: expect.stringMatching(KEPT) });
        expect(done.result).toBeNull();
      }
      expect(fs.existsSync(path.join(home, 'runs', ablate.id, 'experiment.json'))).toBe(false);
    } finally {
      await core.close();
    }
  }, 180_000);
});
