/**
 * Abuse class "overflowing models" (issue 16): experiments and evals queued on a served core with
 * a model whose finite weights overflow float32 (before or after the SAE's hook) or an SAE that
 * does, with random metrics, conditions and sizes. Every job must fail with NONFINITE_OUTPUT,
 * with no result (no verdict, AUROC or FVE) and no experiment.json; prompt.run likewise answers
 * NONFINITE_OUTPUT. /health must answer within 2 s after each case.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { JobView } from '../../../preload/api';
import { FIXTURE_HOOK, writeExperimentFixture, writeOverflowingModel, writeOverflowingSae } from '../../experiments/testing/experimentFixture';
import { SeededRandom } from '../../random/seededRandom';
import { isHealthy } from '../rawSockets';
import { ApiSocket, type AbuseReport, type ServedCore } from '../serverAbuse';
import { HEALTH_BUDGET_MS } from './regexAbuse';
import { servedCall, waitForServedJob } from './servedCalls';

interface Broken {
  model: string;
  sae: string;
  dataset: string;
  /** Overflows before blocks.1 (the SAE's hook): NaN at the hook. */
  before: string;
  /** Overflows after it: finite at the hook, NaN logits. */
  after: string;
  overflowingSae: string;
}

export function writeOverflowFixtures(root: string): Broken {
  const fx = writeExperimentFixture(path.join(root, 'fixture'));
  return {
    model: fx.model,
    sae: fx.sae,
    dataset: fx.dataset,
    before: writeOverflowingModel(path.join(root, 'overflow-before'), fx, 'before-hook'),
    after: writeOverflowingModel(path.join(root, 'overflow-after'), fx, 'after-hook'),
    overflowingSae: writeOverflowingSae(path.join(root, 'overflow-sae'), fx),
  };
}

/** A request that must end in NONFINITE_OUTPUT: a job kind and its params, or an interactive call. */
export function overflowCase(rng: SeededRandom, b: Broken): { name: string; job?: { kind: string; params: Record<string, unknown> }; call?: { method: string; params: unknown } } {
  const size = { dataset: b.dataset, maxDocuments: 2 + rng.int(6), device: 'cpu' };
  const metric = rng.pick(['ce', 'logit:quickly', 'prob:the', 'logprob:water', 'logit-diff:the,cat']);
  const condition = rng.next() < 0.5 ? { condition: rng.pick(['token-regex:^the$', 'context-regex:(^|\\s)$', 'position:>1']) } : {};
  const nulls = { seeds: 2, drawsPerSeed: 1 };
  // A model broken before the hook, after it, or an overflowing SAE (where the experiment reads one).
  const [which, model, sae] = rng.pick<[string, string, string]>([
    ['before-hook', b.before, b.sae],
    ['after-hook', b.after, b.sae],
    ['overflowing SAE', b.model, b.overflowingSae],
  ]);
  const kind = rng.pick(['ablate', 'steer', 'swap', 'probe', 'eval', 'prompt']);
  const name = `${kind} (${which})`;
  switch (kind) {
    case 'ablate':
      return { name, job: { kind: 'experiment.ablate', params: { model, sae, features: [rng.int(40)], metric, mode: rng.pick(['zero', 'mean']), ...condition, ...nulls, ...size } } };
    case 'steer':
      return { name, job: { kind: 'experiment.steer', params: { panels: [{ model, sae, feature: rng.int(40), intervention: rng.pick(['add', 'replace', 'ablate']), strengths: [rng.int(5)] }], metric, ...condition, ...nulls, ...size } } };
    case 'swap':
      // Layers: B continues A, so B must be the broken one after the hook; latents: A's activations feed the SAE.
      return which === 'after-hook'
        ? { name, job: { kind: 'experiment.swap', params: { modelA: b.model, modelB: b.after, hook: FIXTURE_HOOK, metric, ...condition, ...size } } }
        : { name, job: { kind: 'experiment.swap', params: { modelA: model, modelB: b.model, mode: 'latents', sae, features: [1, 2], metric, ...condition, ...nulls, ...size } } };
    case 'probe': {
      // A probe reads the hook (and the SAE): the model broken after the hook gives it finite inputs.
      const probe = which === 'overflowing SAE' ? { model, sae, source: 'sae' } : { model: b.before, hook: FIXTURE_HOOK, source: 'hook' };
      return { name: which === 'overflowing SAE' ? name : 'probe (before-hook)', job: { kind: 'experiment.probe', params: { condition: 'token-regex:^the$', probes: [probe], ...size } } };
    }
    case 'eval':
      return { name, job: { kind: 'eval.sae', params: { model, sae, dataset: b.dataset, tokens: 16 + rng.int(100), device: 'cpu' } } };
    default:
      // prompt.run reads the SAE's hook and its latents: the model broken after the hook is fine there.
      return { name: which === 'after-hook' ? 'prompt (before-hook)' : name, call: { method: 'prompt.run', params: { text: 'the cat sat on the mat', sides: [{ modelPath: which === 'after-hook' ? b.before : model, saePath: sae }], device: 'cpu' } } };
  }
}

export async function runNonfiniteAbuse(server: ServedCore, root: string, plan: { seed: number; cases: number }, report: AbuseReport, onProgress?: (done: number) => void): Promise<void> {
  const rng = new SeededRandom(plan.seed);
  const broken = writeOverflowFixtures(root);
  let socket = await ApiSocket.open(server.port, server.token);
  try {
    for (let i = 0; i < plan.cases; i++) {
      if (!socket.open) socket = await ApiSocket.open(server.port, server.token);
      const c = overflowCase(rng, broken);
      const t0 = Date.now();
      let outcome: string;
      let failure: string | undefined;
      if (c.call) {
        const r = await servedCall(socket, c.call.method, c.call.params, 90_000);
        outcome = r ? (r.ok ? 'ok' : (r.error?.code ?? '?')) : 'no reply';
        if (outcome !== 'NONFINITE_OUTPUT') failure = `${c.name}: ${outcome}${r?.error ? ` (${r.error.message.slice(0, 200)})` : ''}`;
      } else {
        const queued = await servedCall(socket, 'jobs.add', c.job, 30_000);
        if (!queued?.ok) {
          outcome = queued?.error?.code ?? 'no reply';
          failure = `${c.name}: jobs.add answered ${outcome} (${queued?.error?.message.slice(0, 200)})`;
        } else {
          const id = (queued.result as JobView).id;
          const done = await waitForServedJob(socket, id, 120_000);
          outcome = done ? (done.state === 'failed' ? (done.error?.code ?? 'failed') : done.state) : 'timed out';
          if (outcome !== 'NONFINITE_OUTPUT') failure = `${c.name}: ${outcome}${done?.error ? ` (${done.error.message.slice(0, 200)})` : ''}`;
          else if (done!.result !== null) failure = `${c.name}: failed with a result ${JSON.stringify(done!.result).slice(0, 200)}`;
          else if (fs.existsSync(path.join(server.home, 'runs', id, 'experiment.json'))) failure = `${c.name}: an experiment.json was written`;
        }
      }
      report.healthChecks++;
      if (!failure && !(await isHealthy(server.port, HEALTH_BUDGET_MS))) failure = `/health did not answer within ${HEALTH_BUDGET_MS} ms after ${c.name}`;
      report.record(`nonfinite: ${c.name.split(' ')[0]}`, outcome, Date.now() - t0, failure);
      onProgress?.(report.cases);
    }
  } finally {
    socket.close();
  }
}
