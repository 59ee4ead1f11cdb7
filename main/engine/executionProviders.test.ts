import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { candidateProviders, createSessionWithFallback, intraOpThreads, parseDeviceChoice, sessionOptions, THREADS_ENV, type EpReport } from './executionProviders';
import { nativeNotes } from './webgpuProbe';
import { GraphBuilder } from './onnx/graphBuilder';
import { forwardGraphBuilder } from './modelGraph';
import { randomTransformer } from './randomWeights';
import { cachedSession } from './session';
import * as ort from 'onnxruntime-node';

function tinyGraph(): Uint8Array {
  const g = new GraphBuilder('tiny');
  const a = g.input('a', 'float32', ['n', 2]);
  g.output(g.matmul(a, g.initializerF32(Float32Array.of(1, 2, 3, 4), [2, 2])), 'y', 'float32', ['n', 2]);
  return g.toBytes();
}

describe('execution providers', () => {
  it('auto tries CUDA, then WebGPU, then CPU; explicit GPU choices fall back to CPU', () => {
    expect(candidateProviders('auto')).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(candidateProviders('cuda')).toEqual(['cuda', 'cpu']);
    expect(candidateProviders('webgpu')).toEqual(['webgpu', 'cpu']);
    expect(candidateProviders('cpu')).toEqual(['cpu']);
  });

  it('reports which EP runs and why the others were skipped', async () => {
    const { session, report } = await createSessionWithFallback(tinyGraph(), 'auto');
    expect(report.requested).toBe('auto');
    expect(report.attempts.at(-1)).toEqual({ ep: report.running, ok: true });
    for (const failed of report.attempts.slice(0, -1)) expect(failed.reason).toMatch(/\S/);
    const out = await session.run({ a: new ort.Tensor('float32', Float32Array.of(1, 1), [1, 2]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([4, 6]);
  });

  it('cpu runs on CPU with a single attempt', async () => {
    const { report } = await createSessionWithFallback(tinyGraph(), 'cpu');
    expect(report).toEqual({ requested: 'cpu', running: 'cpu', attempts: [{ ep: 'cpu', ok: true }] });
  });

  it('the WebGPU probe runs in a child process: what Dawn prints natively lands in the report, never raw on this process\'s stderr', async () => {
    // A separate process, because native writes to fd 2 cannot be captured from inside.
    const script = "import('./main/engine/executionProviders.ts').then(async (m) => { const { report } = await m.createSessionWithFallback((await import('./main/engine/webgpuProbe.ts')).probeGraph(), 'webgpu'); process.stdout.write(JSON.stringify(report)); })";
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: path.resolve(import.meta.dirname, '../..'), encoding: 'utf8' });
    expect(child.status).toBe(0);
    const report = JSON.parse(child.stdout) as EpReport;
    expect(child.stderr).not.toMatch(/Vulkan|Dawn|WebGPU/i);
    const webgpu = report.attempts.find((a) => a.ep === 'webgpu')!;
    if (!webgpu.ok) expect(webgpu.reason).toMatch(/\S/);
    for (const note of webgpu.notes ?? []) expect(note).not.toMatch(/^at /);
  });

  it('keeps Dawn\'s messages and drops their source-location lines', () => {
    const stderr = "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n    at operator() (/build/Release/_deps/dawn-src/src/dawn/native/vulkan/BackendVk.cpp:368)\n\n";
    expect(nativeNotes(stderr)).toEqual(["Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory"]);
  });

  it('rejects an unknown device name', () => {
    expect(() => parseDeviceChoice('tpu')).toThrow(/--device "tpu".*/);
  });

  it('reads the intra-op thread count from SAE_WORKBENCH_THREADS and asks every EP for deterministic kernels', () => {
    expect(intraOpThreads({})).toBeUndefined();
    expect(intraOpThreads({ [THREADS_ENV]: ' ' })).toBeUndefined();
    expect(intraOpThreads({ [THREADS_ENV]: '3' })).toBe(3);
    for (const bad of ['0', '-2', '2.5', 'two', '5000']) expect(() => intraOpThreads({ [THREADS_ENV]: bad }), bad).toThrow(new RegExp(`${THREADS_ENV}="${bad}"`));
    expect(sessionOptions('cpu', 2)).toMatchObject({ executionProviders: ['cpu'], intraOpNumThreads: 2, extra: { session: { use_deterministic_compute: '1' } } });
    expect(sessionOptions('cuda', undefined)).not.toHaveProperty('intraOpNumThreads');
  });

  it('caches sessions per key and device', async () => {
    let builds = 0;
    const build = () => (builds++, tinyGraph());
    const a = await cachedSession('cache-test', 'cpu', build);
    const b = await cachedSession('cache-test', 'cpu', build);
    expect(a).toBe(b);
    expect(builds).toBe(1);
  });
});

describe('external data', () => {
  it('a model written as model.onnx + external weights runs like the in-memory one, and its files are removed', async () => {
    const model = randomTransformer({ nLayers: 2, dModel: 32, nHeads: 4, seed: 3 });
    const spec = { hooks: ['blocks.1.hook_resid_post'], logits: true };
    const source = forwardGraphBuilder(model, spec).toModelSource(0);
    expect(source.kind).toBe('file');
    const dir = source.kind === 'file' ? dirname(source.path) : '';
    expect(existsSync(`${dir}/model.onnx.data`)).toBe(true);
    const external = await createSessionWithFallback(source, 'cpu');
    expect(existsSync(dir)).toBe(false);
    const inMemory = await createSessionWithFallback(forwardGraphBuilder(model, spec).toModelSource(), 'cpu');
    const feeds = { tokens: new ort.Tensor('int64', BigInt64Array.of(1n, 5n, 9n), [1, 3]), attention_mask: new ort.Tensor('int64', BigInt64Array.of(1n, 1n, 1n), [1, 3]) };
    const a = await external.session.run(feeds);
    const b = await inMemory.session.run(feeds);
    expect(Array.from(a.logits.data as Float32Array)).toEqual(Array.from(b.logits.data as Float32Array));
    expect(Array.from(a['blocks.1.hook_resid_post'].data as Float32Array)).toEqual(Array.from(b['blocks.1.hook_resid_post'].data as Float32Array));
  });
});
