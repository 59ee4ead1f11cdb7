import { useState } from 'react';
import { useClient } from '../../client/context';
import { ErrorBanner } from '../ErrorBanner';
import { labelsChanged } from './useFeatureLabels';

/**
 * "Apply the demo's ground-truth labels": names every feature of both demo SAEs from the bundle's
 * construction, the planted one included. Asked for, then confirmed, never done on its own: the
 * names give away the answer the demo teaches the user to find.
 */
export function DemoTruthAction({ sae }: { sae: string }) {
  const client = useClient();
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const apply = () =>
    client.call('label.applyDemoTruth', { sae }).then((r) => {
      setConfirming(false);
      setDone(`Applied: ${r.saes.map((s) => s.set).reduce((a, b) => a + b, 0)} labels set on the demo's two SAEs.`);
      labelsChanged();
    }, setError);
  return (
    <div className="demo-truth small" aria-label="Demo ground truth">
      {done ? (
        <span className="muted" role="status">
          {done}
        </span>
      ) : confirming ? (
        <div className="demo-truth-confirm">
          <p>This names every feature of both demo SAEs as the demo was built, the planted one included: it gives away the answer the demo asks you to find.</p>
          <button onClick={() => void apply()}>Apply the labels</button>{' '}
          <button className="link" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button className="link" onClick={() => setConfirming(true)}>
          Apply the demo's ground-truth labels…
        </button>
      )}
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
