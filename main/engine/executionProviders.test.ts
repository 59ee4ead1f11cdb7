import { describe, expect, it } from 'vitest';
import { candidateProviders, createSessionWithFallback, parseDeviceChoice } from './executionProviders';
import { GraphBuilder } from './onnx/graphBuilder';
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

  it('rejects an unknown device name', () => {
    expect(() => parseDeviceChoice('tpu')).toThrow(/--device "tpu".*/);
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
