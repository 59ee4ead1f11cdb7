import { ApiCallError } from '../client/client';

/** Shows a core error as the user should see it: what happened, then what to do. */
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
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
