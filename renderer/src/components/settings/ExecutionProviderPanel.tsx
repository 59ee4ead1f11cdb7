import { useCallback, useEffect, useState } from 'react';
import { ENGINE_DEVICES, type EngineDeviceChoice, type EngineDeviceReport } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { ErrorBanner } from '../ErrorBanner';

/** Which execution provider the engine really runs on for a choice, and why the others were skipped. */
export function ExecutionProviderPanel() {
  const client = useClient();
  const [device, setDevice] = useState<EngineDeviceChoice>('auto');
  const [report, setReport] = useState<EngineDeviceReport | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const check = useCallback(
    async (choice: EngineDeviceChoice) => {
      setChecking(true);
      setError(null);
      try {
        setReport(await client.call('engine.devices', { device: choice }));
      } catch (e) {
        setError(e);
      } finally {
        setChecking(false);
      }
    },
    [client],
  );
  useEffect(() => {
    void check('auto');
  }, [check]);

  return (
    <div className="panel" aria-label="Execution provider">
      <h2>Execution provider</h2>
      <label className="field">
        Device to check
        <select
          aria-label="Device"
          value={device}
          onChange={(e) => {
            const choice = e.target.value as EngineDeviceChoice;
            setDevice(choice);
            void check(choice);
          }}
        >
          {ENGINE_DEVICES.map((d) => (
            <option key={d} value={d}>
              {d === 'auto' ? 'auto (CUDA, then WebGPU, then CPU)' : d}
            </option>
          ))}
        </select>
      </label>
      <ErrorBanner error={error} />
      {checking && <p className="muted small">Opening a test graph…</p>}
      {report && !checking && (
        <>
          <p>
            Running on <strong data-testid="running-ep">{report.running.toUpperCase()}</strong> for “{report.requested}”.
          </p>
          <table aria-label="Providers tried">
            <thead>
              <tr>
                <th>Provider</th>
                <th>Result</th>
                <th>Why / what it needs</th>
              </tr>
            </thead>
            <tbody>
              {report.attempts.map((a) => (
                <tr key={a.ep}>
                  <td>{a.ep.toUpperCase()}</td>
                  <td className={a.ok ? 'ok-text' : 'error-text'}>{a.ok ? 'runs' : 'skipped'}</td>
                  <td className="small">
                    {a.ok ? '' : [a.reason, a.requirement].filter(Boolean).join(' — ')}
                    {a.notes?.map((n) => (
                      <div key={n} className="muted mono">
                        {n}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
