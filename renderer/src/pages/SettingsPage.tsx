import { useCallback, useEffect, useState } from 'react';
import { THEMES, type AppInfo, type HubSettings, type ThemeChoice } from '../../../preload/api';
import { useClient } from '../client/context';
import { ErrorBanner } from '../components/ErrorBanner';
import { endpointSavePatch, isPlainHttp, tokenDeliveryNote } from '../components/settings/endpointToken';
import { CudaSetupPanel } from '../components/settings/CudaSetupPanel';
import { ExecutionProviderPanel } from '../components/settings/ExecutionProviderPanel';
import { ClusterPanel } from '../components/settings/ClusterPanel';
import '../components/library/library.css';
import { applyTheme, storedThemeChoice } from '../theme';

const sourceNote = (source: 'env' | 'settings' | 'default', envName: string) =>
  source === 'env' ? `Set by ${envName} in the environment; unset it to change this here.` : source === 'settings' ? 'Saved in settings.' : 'Default.';

/** Hub token (write-only), offline mode, endpoint, download parallelism, data directory, job concurrency. */
export function SettingsPage() {
  const client = useClient();
  const [hub, setHub] = useState<HubSettings | null>(null);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [cpu, setCpu] = useState<number | null>(null);
  const [token, setToken] = useState('');
  const [endpoint, setEndpoint] = useState('');
  const [sendToken, setSendToken] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const applyHub = useCallback((s: HubSettings) => {
    setHub(s);
    setEndpoint(s.endpoint);
    setSendToken(s.tokenDelivery === 'confirmed');
  }, []);
  useEffect(() => {
    client.call('hub.settings', {}).then(applyHub, setError);
    client.call('app.info', {}).then(setInfo, setError);
    client.call('jobs.settings', {}).then((s) => setCpu(s.cpuConcurrency), setError);
  }, [client, applyHub]);

  const run = async (what: string, fn: () => Promise<void>) => {
    setError(null);
    setSaved(null);
    try {
      await fn();
      setSaved(what);
    } catch (e) {
      setError(e);
    }
  };
  const updateHub = async (what: string, patch: Parameters<typeof client.call<'hub.settings'>>[1]) => {
    await run(what, async () => applyHub(await client.call('hub.settings', patch)));
    // After a refused change, show what is really in effect.
    client.call('hub.settings', {}).then(applyHub, setError);
  };

  return (
    <section className="page settings-page">
      <h1>Settings</h1>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {saved && (
        <div className="ok-text small" role="status">
          Saved: {saved}.
        </div>
      )}

      <AppearancePanel onError={setError} />

      <div className="panel">
        <h2>Hugging Face Hub</h2>
        {hub && (
          <>
            <form
              className="field"
              onSubmit={(e) => {
                e.preventDefault();
                void run('token', async () => {
                  applyHub(await client.call('hub.setToken', { token: token.trim() }));
                  setToken('');
                });
              }}
            >
              Access token (for private and gated repos)
              <div className="inline-form">
                <input type="password" autoComplete="off" aria-label="Hub token" placeholder={hub.tokenSource ? 'Enter a new token to replace it' : 'hf_…'} value={token} onChange={(e) => setToken(e.target.value)} />
                <button className="primary" type="submit" disabled={token.trim() === ''}>
                  Save token
                </button>
                {hub.tokenSource === 'stored' && (
                  <button type="button" onClick={() => void run('token removed', async () => applyHub(await client.call('hub.setToken', { token: null })))}>
                    Forget token
                  </button>
                )}
              </div>
              <span className="setting-source" data-testid="token-status">
                {hub.tokenSource === 'env'
                  ? 'A token is set by HF_TOKEN in the environment.'
                  : hub.tokenSource === 'stored'
                    ? 'A token is stored (in the OS keychain where available, else an owner-only file in the data directory). It is never shown.'
                    : 'No token set.'}
              </span>
            </form>

            <label className="switch">
              <input type="checkbox" aria-label="Offline mode" checked={hub.offline} disabled={hub.offlineSource === 'env'} onChange={(e) => {
                  // Show the new position at once; the saved settings replace it when they come back.
                  setHub({ ...hub, offline: e.target.checked });
                  void updateHub('offline mode', { offline: e.target.checked });
                }}
              />
              Offline mode: never touch the network; only cached files are used.
            </label>
            <div className="setting-source">{sourceNote(hub.offlineSource, 'HF_HUB_OFFLINE')}</div>

            <form
              className="field"
              onSubmit={(e) => {
                e.preventDefault();
                void updateHub('endpoint', endpointSavePatch(endpoint, sendToken));
              }}
            >
              Endpoint (HF_ENDPOINT)
              <div className="inline-form">
                <input aria-label="Hub endpoint" value={endpoint} disabled={hub.endpointSource === 'env'} onChange={(e) => setEndpoint(e.target.value)} />
                <button type="submit" disabled={hub.endpointSource === 'env' || (endpoint.trim() === hub.endpoint && sendToken === (hub.tokenDelivery === 'confirmed'))}>
                  Save
                </button>
                {hub.endpointSource === 'settings' && (
                  <button type="button" onClick={() => void updateHub('endpoint reset', { endpoint: null })}>
                    Reset
                  </button>
                )}
              </div>
              {hub.endpointSource !== 'env' && isPlainHttp(endpoint) && (
                // The token travels to an http endpoint only with this box ticked for exactly this URL;
                // an endpoint changed any other way (an API call) withdraws the confirmation.
                <label className="switch">
                  <input type="checkbox" aria-label="Send my token to this http endpoint" checked={sendToken} onChange={(e) => setSendToken(e.target.checked)} />
                  Send my access token to this endpoint. It is plain http: the token travels unencrypted, so tick this only for a mirror you run or trust.
                </label>
              )}
              <span className="setting-source">{sourceNote(hub.endpointSource, 'HF_ENDPOINT')}</span>
              <span className={`setting-source${hub.tokenDelivery === 'withheld' && hub.tokenSource ? ' warn-text' : ''}`} data-testid="token-delivery">
                {tokenDeliveryNote(hub)}
              </span>
            </form>

            <label className="field">
              Parallel downloads (files at once per download)
              <input
                type="number"
                min={1}
                max={16}
                aria-label="Parallel downloads"
                value={hub.parallelFiles}
                onChange={(e) => {
                  const n = clamp(Number(e.target.value), 1, 16);
                  setHub({ ...hub, parallelFiles: n });
                  void updateHub('parallel downloads', { parallelFiles: n });
                }}
              />
            </label>
            <div className="field">
              HF cache
              <span className="mono">{hub.cacheDir}</span>
              <span className="setting-source">Shared with Python's huggingface_hub. Set HF_HUB_CACHE or HF_HOME to move it.</span>
            </div>
          </>
        )}
      </div>

      <div className="panel">
        <h2>App</h2>
        <div className="field">
          Data directory
          <span className="mono" data-testid="data-directory">
            {info?.home ?? '…'}
          </span>
          <span className="setting-source">Database, job runs and exports. Choose another with --home DIR or WORKBENCH_HOME.</span>
        </div>
        {cpu != null && (
          <label className="field">
            CPU jobs at once
            <input
              type="number"
              min={1}
              max={64}
              aria-label="CPU job concurrency"
              value={cpu}
              onChange={(e) => {
                const n = clamp(Number(e.target.value), 1, 64);
                void run('CPU job concurrency', async () => setCpu((await client.call('jobs.settings', { cpuConcurrency: n })).cpuConcurrency));
              }}
            />
          </label>
        )}
      </div>
      <ExecutionProviderPanel />
      <CudaSetupPanel />
      <ClusterPanel />
    </section>
  );
}

/** Light, dark, or whatever the system prefers; kept in the app database. */
function AppearancePanel({ onError }: { onError: (e: unknown) => void }) {
  const client = useClient();
  const [choice, setChoice] = useState<ThemeChoice>(storedThemeChoice());
  useEffect(() => {
    client.call('app.uiSettings', {}).then((s) => setChoice(s.theme), onError);
  }, [client, onError]);
  const choose = (theme: ThemeChoice) => {
    setChoice(theme);
    applyTheme(theme);
    client.call('app.uiSettings', { theme }).catch(onError);
  };
  return (
    <div className="panel">
      <h2>Appearance</h2>
      <div className="field">
        Theme
        <div className="segmented" role="group" aria-label="Theme">
          {THEMES.map((t) => (
            <button key={t} type="button" aria-pressed={choice === t} onClick={() => choose(t)}>
              {t === 'system' ? 'System' : t === 'light' ? 'Light' : 'Dark'}
            </button>
          ))}
        </div>
        <span className="setting-source">System follows your operating system's light or dark mode. Saved for this data directory.</span>
      </div>
    </div>
  );
}

function clamp(n: number, lo: number, hi: number): number {
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, Math.round(n))) : lo;
}
