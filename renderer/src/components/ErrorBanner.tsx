import { ApiCallError } from '../client/client';
import { useConnected } from '../client/context';

/**
 * Shows a core error as the user should see it: what happened, then what to do. A call that
 * failed because the core cannot be reached says nothing here while the connection is down: the
 * connection banner says it once, for the whole page.
 */
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  const connected = useConnected();
  if (!error) return null;
  if (!connected && error instanceof ApiCallError && error.code === 'DISCONNECTED') return null;
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof ApiCallError ? error.hint : undefined;
  return (
    <div className="error-banner" role="alert">
      <div>
        <strong>{message}</strong>
        {hint && <div className="hint">{hint}</div>}
      </div>
      {onDismiss && (
        <button className="link" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}
