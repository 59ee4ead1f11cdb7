import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../testing/tempDirs';
import { asyncErrorOf } from '../testing/workbenchErrors';
import { TrainSaeParamsSchema } from '../../preload/contract/train';
import { readCheckpoint } from './checkpoint';
import { readMetrics } from './metricsLog';
import { sharedDemoBundle } from './testing/demoFixture';
import { runTrainSae, type TrainRunContext } from './trainRun';

/** While set, writes through fs.writeFileSync fail as on a full disk (after writing part of the data). */
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const writeFileSync = ((file: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, options?: fs.WriteFileOptions) => {
    if (disk.full) {
      if (typeof file === 'number' && typeof data !== 'string') real.writeSync(file, new Uint8Array(data.buffer, data.byteOffset, Math.floor(data.byteLength / 2)));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    }
    return real.writeFileSync(file, data, options);
  }) as typeof real.writeFileSync;
  return { ...real, writeFileSync, default: { ...real, writeFileSync } };
});

const tmp = makeTempDir('disk-full');
let params: ReturnType<typeof TrainSaeParamsSchema.parse>;
beforeAll(() => {
  const demo = sharedDemoBundle();
  params = TrainSaeParamsSchema.parse({ model: demo.models.standard, hooks: ['blocks.1.hook_resid_post'], dataset: demo.dataset, k: 4, dSae: 32, tokens: 256 * 12, batchSize: 256, lr: 3e-3, evalTokens: 512, bufferBatches: 4, checkpointEverySteps: 4, device: 'cpu' });
}, 180_000);
afterAll(tmp.cleanup);

function context(name: string, onCheckpoint?: (step: number) => void): TrainRunContext {
  const runDir = path.join(tmp.dir, name);
  return { runDir, outDir: path.join(runDir, 'saes'), home: tmp.dir, log: () => {}, progress: () => {}, stopRequested: () => null, onCheckpoint };
}

describe('a full disk at checkpoint time', () => {
  it('fails the run with DISK_FULL, keeps the previous checkpoint valid, and the run resumes once space is back', async () => {
    const ctx = context('full', (step) => {
      if (step === 4) disk.full = true;
    });
    const err = await asyncErrorOf(() => runTrainSae(params, ctx));
    disk.full = false;
    expect(err.code).toBe('DISK_FULL');
    expect(err.message).toContain('checkpoint at step 8');
    expect(err.message).toContain('previous checkpoint (step 4) is intact');
    // The half-written temporary file is gone; the checkpoint on disk is the whole step-4 one.
    expect(fs.readdirSync(ctx.runDir).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(readCheckpoint(ctx.runDir, [{ dIn: 64, dSae: 32 }])!.step).toBe(4);

    await runTrainSae(params, ctx);
    const clean = context('clean');
    await runTrainSae(params, clean);
    const strip = (dir: string) => readMetrics(dir).points.map((p) => [p.step, p.mse, p.aux, p.l0]);
    const a = strip(clean.runDir);
    const b = strip(ctx.runDir);
    expect(b.length).toBe(a.length);
    a.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(b[i][j] - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v)))));
  });
});
