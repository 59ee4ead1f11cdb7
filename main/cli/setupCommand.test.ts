import { describe, expect, it } from 'vitest';
import type { CudaSetupReport } from '../../preload/api';
import { runCliCaptured as cli } from '../testing/cliRun';
import { describeCudaSetup } from './setupCommand';

describe('sae-workbench setup cuda', () => {
  it('--check reports without installing: JSON on stdout, exit 0 only when CUDA can load', async () => {
    const r = await cli(['setup', 'cuda', '--check', '--json']);
    const report = JSON.parse(r.out) as CudaSetupReport;
    expect(r.code).toBe(report.ready ? 0 : 1);
    expect(report.installed).toBe(false);
    expect(report.providerFiles.map((f) => f.file)).toEqual(['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']);
    expect(report.systemLibraries.map((l) => l.soname)).toContain('libcudnn.so.9');
    expect(report.next.length).toBeGreaterThan(20);
  });

  it('the text report lists each file and library, then what to do', () => {
    const lines = describeCudaSetup({
      platform: 'linux/x64',
      bindingDir: '/app/bin',
      installed: true,
      providerFiles: [
        { file: 'libonnxruntime_providers_cuda.so', present: true, bytes: 350_000_000 },
        { file: 'libonnxruntime_providers_shared.so', present: true, bytes: 16_000 },
      ],
      systemLibraries: [
        { soname: 'libcudart.so.12', what: 'CUDA 12 runtime', found: '/usr/local/cuda/lib64/libcudart.so.12' },
        { soname: 'libcudnn.so.9', what: 'cuDNN 9', found: null },
      ],
      ready: false,
      next: 'install cuDNN 9',
    });
    expect(lines[0]).toBe('CUDA provider files in /app/bin (installed now)');
    expect(lines[1]).toMatch(/^ {2}libonnxruntime_providers_cuda\.so +present, 3\d\d(\.\d)? MB$/);
    expect(lines.find((l) => l.includes('libcudnn.so.9'))).toMatch(/cuDNN 9 +not found$/);
    expect(lines.at(-1)).toBe('install cuDNN 9');
  });

  it('refuses a missing or unknown target and --check with --reinstall', async () => {
    for (const args of [['setup'], ['setup', 'rocm'], ['setup', 'cuda', '--check', '--reinstall']]) {
      const r = await cli(args);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/Usage: sae-workbench setup cuda/);
    }
  });
});
