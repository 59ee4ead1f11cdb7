import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../preload/api';
import { createCore, type Core } from '../api/core';
import { writeExperimentFixture } from '../experiments/testing/experimentFixture';
import { runCliCaptured } from '../testing/cliRun';
import { call, waitForJob } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';
import { createSessionWithFallback } from './executionProviders';
import { describeNodePlacement, nodePlacementOf, PROFILE_PLACEMENT_ENV, profilePlacementOf, type NodePlacement } from './nodePlacement';
import { onNodePlacement } from './sessionProviders';
import { probeGraph } from './webgpuProbe';

const node = (name: string, op: string, provider: string, dur: number) => ({ cat: 'Node', name: `${name}_kernel_time`, dur, args: { op_name: op, provider } });

describe('nodePlacementOf (ORT profile events)', () => {
  it('counts nodes once over several runs, adds their times, and names the ops that fell back', () => {
    const events = [
      { cat: 'Session', name: 'model_run', dur: 5000, args: {} },
      node('MatMul_0', 'MatMul', 'WebGpuExecutionProvider', 600),
      node('TopK_1', 'TopK', 'WebGpuExecutionProvider', 100),
      node('ScatterND_2', 'ScatterND', 'CPUExecutionProvider', 200),
      node('ScatterND_3', 'ScatterND', 'CPUExecutionProvider', 50),
      node('NonZero_4', 'NonZero', 'CPUExecutionProvider', 50),
      // A second run of the same graph.
      node('MatMul_0', 'MatMul', 'WebGpuExecutionProvider', 400),
      node('ScatterND_2', 'ScatterND', 'CPUExecutionProvider', 100),
      { cat: 'Node', name: 'fence_before', dur: 1, args: {} },
    ];
    const p = nodePlacementOf(events, 'webgpu');
    // 5 nodes, 3 on CPU; node time 1000 + 100 + 300 + 50 + 50 = 1500, of it CPU 400.
    expect(p).toEqual({ ep: 'webgpu', nodes: 5, cpuNodes: 3, cpuNodePct: 60, cpuTimePct: (100 * 400) / 1500, cpuOps: [{ op: 'ScatterND', nodes: 2 }, { op: 'NonZero', nodes: 1 }] });
    expect(describeNodePlacement(p)).toBe('3 of 5 nodes (60.0%, 26.7% of node time) ran on the CPU instead of WEBGPU: ScatterND x2, NonZero');
    // A CPU session has nothing to fall back from.
    expect(nodePlacementOf(events, 'cpu')).toMatchObject({ nodes: 5, cpuNodes: 0, cpuNodePct: 0, cpuTimePct: 0, cpuOps: [] });
    expect(nodePlacementOf([], 'cuda')).toMatchObject({ nodes: 0, cpuNodePct: 0, cpuTimePct: 0 });
  });
});

describe('profiling a session\'s first run', () => {
  afterEach(() => profilePlacementOf(['cuda', 'webgpu']));

  it('reports one placement after the first run, from ORT\'s own profile, and leaves no files', async () => {
    profilePlacementOf(['cpu']);
    const seen: NodePlacement[] = [];
    const stop = onNodePlacement((p) => seen.push(p));
    const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('sae-wb-placement-')).length;
    try {
      const { session } = await createSessionWithFallback(probeGraph(), 'cpu');
      const x = new ort.Tensor('float32', Float32Array.from([-2]), [1]);
      expect((await session.run({ x })).y.data[0]).toBe(0);
      expect((await session.run({ x })).y.data[0]).toBe(0);
      await session.release();
    } finally {
      stop();
    }
    expect(seen).toEqual([{ ep: 'cpu', nodes: 1, cpuNodes: 0, cpuNodePct: 0, cpuTimePct: 0, cpuOps: [] }]);
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('sae-wb-placement-')).length).toBe(before);
  });
});

describe('a job records where its GPU sessions\' nodes ran', () => {
  const tmp = makeTempDir('placement-job');
  let core: Core | undefined;
  afterAll(async () => {
    await core?.close();
    delete process.env[PROFILE_PLACEMENT_ENV];
    tmp.cleanup();
  });

  it('the worker reports it, the log says it, jobs list --json prints "cpu_fallback_pct"', async () => {
    // Workers inherit the environment: profile CPU sessions too, so the path runs without a GPU.
    process.env[PROFILE_PLACEMENT_ENV] = 'cpu';
    const fx = writeExperimentFixture(path.join(tmp.dir, 'fixture'));
    const home = path.join(tmp.dir, 'home');
    core = createCore({ home, frontDoor: 'test' });
    const job = await call<JobView>(core, 'index.build', { modelPath: fx.model, saePaths: [fx.sae], datasetPath: fx.dataset, device: 'cpu', topN: 3 });
    const done = await waitForJob(core, job.id, (j) => j.state === 'completed' || j.state === 'failed', 90_000);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    expect(done.cpuFallbackPct).toBe(0);
    const logs = (await call<{ message: string }[]>(core, 'jobs.logs', { id: done.id })).map((l) => l.message);
    expect(logs.some((m) => /^A CPU session's first run: all \d+ nodes ran on CPU\.$/.test(m))).toBe(true);
    const r = await runCliCaptured(['jobs', 'list', '--json', '--home', home]);
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out) as Record<string, unknown>[]).find((row) => row.id === done.id)).toMatchObject({ execution_provider: 'cpu', cpu_fallback_pct: 0 });
  }, 120_000);
});
