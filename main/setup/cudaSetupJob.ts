import { SETUP_CUDA_KIND, SetupCudaParamsSchema } from '../../preload/api';
import { defineJobKind } from '../jobs/kind';

/**
 * Settings' "Install CUDA provider": the same `setupCuda` as `sae-workbench setup cuda`, queued so
 * its download shows progress in the Queue and its installer's output lands in the job's log.
 */
export const setupCudaJob = defineJobKind({
  kind: SETUP_CUDA_KIND,
  description: "Fetch onnxruntime-node's CUDA 12 provider libraries with its own installer (from NuGet), then check for CUDA 12 and cuDNN 9 on this machine.",
  params: SetupCudaParamsSchema,
  title: (p) => (p.reinstall ? 'Reinstall the CUDA provider' : 'Install the CUDA provider'),
  resource: 'cpu',
  pausable: false,
  async run(ctx, p) {
    const { setupCuda } = await import('./cudaSetup');
    ctx.progress(null, 'Running onnxruntime-node\'s installer (downloads about 300 MB from api.nuget.org)');
    let report;
    try {
      report = await setupCuda({
        install: true,
        reinstall: p.reinstall,
        // Pause or cancel stops the installer and puts the previous files back before the job ends.
        signal: ctx.signal,
        onLine: (line) => {
          ctx.log('info', line);
          ctx.progress(null, line);
        },
      });
    } catch (err) {
      ctx.throwIfStopped();
      throw err;
    }
    for (const l of report.systemLibraries) ctx.log(l.found ? 'info' : 'warn', `${l.soname} (${l.what}): ${l.found ?? 'not found'}`);
    ctx.log(report.ready ? 'info' : 'warn', report.next);
    // The queue asked once whether a GPU works (its first GPU job) and keeps that answer; processes that loaded ORT keep their providers.
    if (report.installed) ctx.log('info', 'Restart the app so the queue and the engine pick up the CUDA provider.');
    return report;
  },
});
