import { useEffect, useState } from 'react';
import type { ConditionPreview, SavedCondition } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { ErrorBanner } from '../ErrorBanner';
import { displayToken } from '../prompt/featureColor';

const EXAMPLES = ['named:step-onset', 'token-regex:^Step$', 'context-regex:\\nStep \\d+:$', 'position:first', 'context-regex:(^|\\n)$ && token-regex:^Step'];

/**
 * A token condition: typed as a spec or picked from the saved ones, previewed by highlighting
 * the tokens it selects in the first documents of the index, and savable under a name.
 */
export function ConditionEditor({ indexId, spec, onSpec }: { indexId: string; spec: string; onSpec: (spec: string) => void }) {
  const client = useClient();
  const [saved, setSaved] = useState<SavedCondition[]>([]);
  const [preview, setPreview] = useState<ConditionPreview | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    client.call('compare.conditions', {}).then(setSaved, setError);
  }, [client]);
  useEffect(() => {
    if (!spec.trim()) {
      setPreview(null);
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      client.call('compare.previewCondition', { indexId, spec, documents: 6 }).then(
        (p) => {
          if (!live) return;
          setPreview(p);
          setPreviewError(null);
        },
        (e) => {
          if (!live) return;
          setPreview(null);
          setPreviewError(e);
        },
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [client, indexId, spec]);

  return (
    <div className="condition-editor">
      <div className="condition-row">
        <label className="grow">
          Token condition
          <input aria-label="Token condition" value={spec} onChange={(e) => onSpec(e.target.value)} list="condition-examples" spellCheck={false} className="mono" />
          <datalist id="condition-examples">
            {EXAMPLES.map((x) => (
              <option key={x} value={x} />
            ))}
          </datalist>
        </label>
        <label>
          Saved
          <select aria-label="Saved conditions" value="" onChange={(e) => e.target.value && onSpec(`named:${e.target.value}`)}>
            <option value="">Choose…</option>
            {saved.map((c) => (
              <option key={c.name} value={c.name} title={c.description}>
                {c.name} = {c.spec}
              </option>
            ))}
          </select>
        </label>
        <label>
          Save as
          <span className="inline">
            <input aria-label="Condition name" placeholder="name" value={name} onChange={(e) => setName(e.target.value)} style={{ width: 110 }} />
            <button
              disabled={!name || !spec || spec.startsWith('named:')}
              onClick={() =>
                client.call('compare.saveCondition', { name, spec, description: '' }).then(
                  () => client.call('compare.conditions', {}).then(setSaved, setError),
                  setError,
                )
              }
            >
              Save
            </button>
          </span>
        </label>
      </div>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="condition-preview" aria-label="Condition preview">
        {previewError ? (
          <ErrorBanner error={previewError} />
        ) : preview ? (
          <>
            <div className="muted small">
              {preview.spec} selects {preview.matches.toLocaleString('en-US')} of {preview.tokens.toLocaleString('en-US')} tokens in the first {preview.documents.length} documents:
            </div>
            {preview.documents.map((d) => (
              <div key={d.document} className="preview-doc">
                <span className="muted small">doc {d.document}</span>{' '}
                {d.tokens.map((t, i) => (
                  <span key={i} className={d.mask[i] ? 'preview-token hit' : 'preview-token'}>
                    {displayToken(t)}
                  </span>
                ))}
              </div>
            ))}
          </>
        ) : null}
      </div>
    </div>
  );
}
