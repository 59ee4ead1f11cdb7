import { useCallback, useEffect, useState } from 'react';
import { formatBytes, SETUP_CUDA_KIND, type CudaSetupReport } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { useJob } from '../../client/useJob';
import { ErrorBanner } from '../ErrorBanner';
import { ProgressBar } from '../ProgressBar';

const FINISHED = new Set(['completed', 'failed', 'cancelled', 'interrupted']);

/**
 * The opt-in CUDA provider: what is in place (onnxruntime-node's provider files, the CUDA 12 and
 * cuDNN 9 libraries they load) and a button that queues `setup.cuda`, the same install as
 * `sae-workbench setup cuda`, whose installer output lands in the job's log.
 */
export function CudaSetupPanel({ onInstalled }: { onInstalled?: () => void }) {
  const client = useClient();
  const [report, setReport] = useState<CudaSetupReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useJob(jobId);

  const check = useCallback(() => {
    setError(null);
    client.call('engine.cudaStatus', {}).then(setReport, setError);
  }, [client]);
  useEffect(check, [check]);
  // An install queued earlier (another visit to this page, another window) is followed, not raced.
  useEffect(() => {
    client.call('jobs.list', {}).then((jobs) => {
      const active = jobs.find((j) => j.kind === SETUP_CUDA_KIND && !FINISHED.has(j.state));
      if (active) setJobId((current) => current ?? active.id);
    }, setError);
  }, [client]);

  const finished = job !== null && FINISHED.has(job.state);
  useEffect(() => {
    if (!finished) return;
    check();
    if (job?.state === 'completed') onInstalled?.();
  }, [finished, job?.state, check, onInstalled]);

  const filesPresent = report?.providerFiles.every((f) => f.present) ?? false;
  const running = job !== null && !finished;
  const install = async () => {
    setError(null);
    try {
      setJobId((await client.call('jobs.add', { kind: SETUP_CUDA_KIND, params: { reinstall: filesPresent } })).id);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div className="panel" aria-label="CUDA provider">
      <h2>CUDA provider</h2>
      <p className="muted small">
        onnxruntime-node ships CPU and WebGPU; its CUDA 12 provider (about 300 MB from NuGet) is installed on request. It also needs CUDA 12.x and cuDNN 9.x on this machine, which come from NVIDIA, not from this app.
      </p>
      <ErrorBanner error={error ?? (job?.state === 'failed' ? job.error : null)} />
      {report && (
        <>
          <table aria-label="CUDA provider files">
            <thead>
              <tr>
                <th>Provider file</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {report.providerFiles.map((f) => (
                <tr key={f.file}>
                  <td className="mono">{f.file}</td>
                  <td className={f.present ? 'ok-text' : 'error-text'}>{f.present ? `present, ${formatBytes(f.bytes)}` : 'missing'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table aria-label="CUDA system libraries">
            <thead>
              <tr>
                <th>System library</th>
                <th>What</th>
                <th>Found</th>
              </tr>
            </thead>
            <tbody>
              {report.systemLibraries.map((l) => (
                <tr key={l.soname}>
                  <td className="mono">{l.soname}</td>
                  <td>{l.what}</td>
                  <td className={l.found ? 'mono small' : 'error-text'}>{l.found ?? 'not found'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p data-testid="cuda-next">{report.next}</p>
        </>
      )}
      {running && <ProgressBar value={job.progress} label={job.progressMessage ?? 'Queued'} />}
      {job?.state === 'completed' && (job.result as CudaSetupReport | null)?.installed && <p className="ok-text">Installed. Restart the app so the queue and the engine pick up the CUDA provider.</p>}
      <div className="toolbar">
        <button type="button" className="primary" disabled={running || !report} onClick={() => void install()}>
          {filesPresent ? 'Reinstall CUDA provider' : 'Install CUDA provider'}
        </button>
        <button type="button" disabled={running} onClick={check}>
          Check again
        </button>
      </div>
      <p className="muted small">Same as <span className="mono">sae-workbench setup cuda</span>; behind a proxy, start the app with HTTPS_PROXY set.</p>
    </div>
  );
}
