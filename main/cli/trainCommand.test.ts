import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { THREADS_ENV } from '../engine/executionProviders';
import { runCliCaptured } from '../testing/cliRun';
import { makeTempDir } from '../testing/tempDirs';
import { readCheckpointStep } from '../train/checkpoint';
import { readMetrics } from '../train/metricsLog';
import { sharedDemoBundle } from '../train/testing/demoFixture';

// Several intra-op threads, as on any multi-core machine (spawned runs inherit it).
process.env[THREADS_ENV] = '2';

const tmp = makeTempDir('train-cli');
let demo: DemoBundlePaths;
beforeAll(() => {
  demo = sharedDemoBundle();
}, 180_000);
afterAll(tmp.cleanup);

const projectRoot = path.resolve(import.meta.dirname, '../..');
const args = (out: string, extra: string[] = []) => [
  'train', '--model', demo.models.adhd, '--hook', 'blocks.2.hook_resid_post', '--dataset', demo.dataset,
  '--k', '4', '--d-sae', '48', '--tokens', String(256 * 60), '--batch-size', '256', '--lr', '0.003', '--device', 'cpu',
  '--eval-tokens', '512', '--checkpoint-every', '3', '--out', out, '--home', tmp.dir, ...extra,
];

function lastJson(out: string): Record<string, unknown> {
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

describe('sae-workbench train / eval', () => {
  let reference: string;

  it('trains, writes the run and the sae_lens folder, and prints one JSON line of final metrics', async () => {
    reference = path.join(tmp.dir, 'reference');
    const res = await runCliCaptured(args(reference));
    expect(res.err).not.toContain('Error');
    expect(res.code).toBe(0);
    expect(res.out.trim().split('\n')).toHaveLength(1);
    const json = lastJson(res.out);
    expect(Object.keys(json).sort()).toEqual(['ce_loss_score', 'dead_pct', 'dense_pct', 'duplicate_pct', 'fve', 'kl_score', 'l0', 'out', 'tokens_per_s'].sort());
    expect(json.out).toBe(path.join(reference, 'blocks.2.hook_resid_post'));
    for (const key of ['fve', 'l0', 'dead_pct', 'duplicate_pct', 'dense_pct', 'ce_loss_score', 'kl_score', 'tokens_per_s']) expect(Number.isFinite(json[key]), key).toBe(true);
    // Normalised by default, folded at export as sae_lens does: cfg.json reads raw activations, the training config keeps the mode and factor.
    const cfg = JSON.parse(fs.readFileSync(path.join(json.out as string, 'cfg.json'), 'utf8'));
    expect(cfg.normalize_activations).toBe('none');
    const trained = JSON.parse(fs.readFileSync(path.join(json.out as string, 'training_config.json'), 'utf8'));
    expect(trained.normalize_activations).toBe('expected_average_only_in');
    expect(trained.activation_norm_scaling_factor).toBeGreaterThan(0);
    expect(cfg.metadata.activation_norm_scaling_factor).toBe(trained.activation_norm_scaling_factor);
    expect(res.err).toMatch(/% step \d+\/60/);

    // The eval command judges the SAE on the same held-out tokens: the same numbers.
    const ev = await runCliCaptured(['eval', '--model', demo.models.adhd, '--sae', json.out as string, '--dataset', demo.dataset, '--tokens', '512', '--device', 'cpu', '--json']);
    expect(ev.code).toBe(0);
    const e = lastJson(ev.out);
    for (const key of ['fve', 'l0', 'dead_pct', 'duplicate_pct', 'dense_pct', 'ce_loss_score', 'kl_score']) expect(e[key] as number, key).toBeCloseTo(json[key] as number, 5);
    expect((e.gates as { name: string }[]).map((g) => g.name)).toEqual(['FVE', 'dead %', 'duplicates %']);
  });

  it('a run killed with SIGKILL and resumed equals the unbroken run bit for bit', async () => {
    // Batches big enough that ORT spreads the step over both intra-op threads (a racing kernel
    // would show), and a kill mid-way through a shuffling block (16 batches), so the resumed run
    // recomputes that block's activations from its start.
    const steps = 24;
    const killArgs = (out: string) => [
      'train', '--model', demo.models.adhd, '--hook', 'blocks.2.hook_resid_post', '--dataset', demo.dataset,
      '--k', '8', '--d-sae', '256', '--tokens', String(1024 * steps), '--batch-size', '1024', '--lr', '0.003', '--device', 'cpu',
      '--eval-tokens', '512', '--checkpoint-every', '4', '--out', out, '--home', tmp.dir,
    ];
    const unbroken = path.join(tmp.dir, 'unbroken');
    expect((await runCliCaptured(killArgs(unbroken))).code).toBe(0);

    const out = path.join(tmp.dir, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'main/cli/main.ts'), ...killArgs(out)], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    const killed = await new Promise<boolean>((resolve) => {
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const steps = [...err.matchAll(/Checkpoint at step (\d+) of/g)].map((m) => Number(m[1]));
        // SIGKILL right after a checkpoint line, while the next steps run: no chance to clean up.
        if (steps.some((st) => st >= 8) && child.exitCode === null && child.kill('SIGKILL')) resolve(true);
      });
      child.once('exit', () => resolve(false));
    });
    if (!killed) throw new Error(`the run ended (exit ${child.exitCode}) before it could be killed`);
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    expect(child.signalCode).toBe('SIGKILL');
    const killedAt = readCheckpointStep(out)!;
    expect(killedAt).toBeGreaterThanOrEqual(8);
    expect(killedAt).toBeLessThan(steps);
    expect(fs.existsSync(path.join(out, 'blocks.2.hook_resid_post'))).toBe(false);

    const res = await runCliCaptured(['train', '--resume', out, '--home', tmp.dir]);
    expect(res.code).toBe(0);
    expect(res.err).toContain(`Resuming at step ${killedAt} of ${steps}`);
    // Byte for byte: the weights (and every other exported file) and every logged figure but wall-clock ones.
    const a = folderDigests(path.join(unbroken, 'blocks.2.hook_resid_post'));
    expect(Object.keys(a)).toContain('sae_weights.safetensors');
    expect(folderDigests(path.join(out, 'blocks.2.hook_resid_post'))).toEqual(a);
    expect(exactCurve(out)).toEqual(exactCurve(unbroken));
  }, 120_000);

  it('several hooks give one object per SAE under "saes"', async () => {
    const out = path.join(tmp.dir, 'two');
    const res = await runCliCaptured([...args(out).map((a) => (a === 'blocks.2.hook_resid_post' ? 'blocks.1.hook_resid_post,blocks.2.hook_resid_post' : a === String(256 * 60) ? String(256 * 8) : a))]);
    expect(res.code).toBe(0);
    const json = lastJson(res.out) as { saes: { out: string }[] };
    expect(json.saes.map((s) => path.basename(s.out))).toEqual(['blocks.1.hook_resid_post', 'blocks.2.hook_resid_post']);
  });

  it('refuses bad invocations with a usage hint', async () => {
    const missing = await runCliCaptured(['train', '--hook', 'blocks.2.hook_resid_post', '--dataset', demo.dataset, '--out', path.join(tmp.dir, 'x'), '--home', tmp.dir]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('--model is required');
    const again = await runCliCaptured(args(reference));
    expect(again.code).toBe(1);
    expect(again.err).toContain('already holds a training run');
    expect(again.err).toContain(`--resume ${reference}`);
    const notRun = await runCliCaptured(['train', '--resume', tmp.dir, '--home', tmp.dir]);
    expect(notRun.code).toBe(1);
    expect(notRun.err).toContain('is not a training run folder');
    const other = await runCliCaptured(['train', '--resume', reference, '--k', '8', '--home', tmp.dir]);
    expect(other.err).toContain('was started with k = 4, not 8');
    const norm = await runCliCaptured(args(path.join(tmp.dir, 'bad-norm'), ['--normalize-activations', 'layer_norm']));
    expect(norm.code).toBe(1);
    expect(norm.err).toContain('--normalize-activations');
    expect(norm.err).toContain('expected_average_only_in');
  });
});

/** sha256 of every file of a folder. */
function folderDigests(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]));
}

/** Every logged figure but the wall-clock ones, which differ between runs by nature. */
function exactCurve(runDir: string): unknown[] {
  return readMetrics(runDir).points.map(({ tokens_per_s: _a, step_tokens_per_s: _b, elapsed_s: _c, ...rest }) => rest);
}
