import { useEffect, useRef, useState } from 'react';
import { useConnection, useTicker } from '../client/context';
import './connectionBanner.css';

/**
 * What the page says about its connection to the core: nothing while it is up; "reconnecting"
 * (with the next try and a button to try now) while the core cannot be reached; and, when the
 * core is up but refuses this page's token, that it restarted and its new URL must be opened.
 * Returns the number of reconnections, so the app can reload its pages after one.
 */
export function ConnectionBanner() {
  const c = useConnection();
  const now = useTicker(c.status === 'reconnecting', 500);
  if (c.status === 'open' || c.status === 'connecting') return null;
  if (c.status === 'token-refused') {
    return (
      <div className="connection-banner error-banner" role="alert" aria-label="Connection to the core">
        <div>
          <strong>{c.everOpened ? 'The core restarted: reopen the URL it printed.' : 'The core refused this page: open the URL it printed.'}</strong>
          <div className="hint">
            {c.everOpened
              ? 'Every launch of `npm run serve` has a new token; this page still holds the old one. Open the “Serving on http://127.0.0.1:…/?token=…” URL from its output.'
              : 'The API needs the token in the URL that `npm run serve` printed (“Serving on http://127.0.0.1:…/?token=…”).'}
          </div>
        </div>
      </div>
    );
  }
  const wait = Math.max(0, Math.ceil((c.nextTryAt - now) / 1000));
  return (
    <div className="connection-banner error-banner" role="alert" aria-label="Connection to the core">
      <div>
        <strong>Cannot reach the core: reconnecting…</strong> <span className="small">{wait > 0 ? `next try in ${wait} s (attempt ${c.attempt})` : 'trying now'}</span>
        <div className="hint">Is `npm run serve` still running? The page reconnects by itself when it is back; if it restarted on another port, open the URL it printed.</div>
      </div>
      <button onClick={c.retryNow}>Reconnect now</button>
    </div>
  );
}

/** Counts reconnections: a key that changes once the connection is back, so pages reload their data. */
export function useReconnections(): number {
  const c = useConnection();
  const openEpoch = c.status === 'open' ? c.epoch : null;
  const [count, setCount] = useState(0);
  const seen = useRef(0);
  useEffect(() => {
    if (openEpoch !== null && openEpoch !== seen.current) {
      seen.current = openEpoch;
      setCount((n) => n + 1);
    }
  }, [openEpoch]);
  return count;
}
