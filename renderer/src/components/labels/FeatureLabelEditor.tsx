import { useEffect, useRef, useState } from 'react';
import type { FeatureLabel } from '../../../../preload/api';
import { LABEL_MAX_CHARS, NOTE_MAX_CHARS, featureName } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { ErrorBanner } from '../ErrorBanner';
import { labelsChanged, type LabelRef } from './useFeatureLabels';

interface Draft {
  label: string;
  note: string;
}

/** The last change made here, so it can be undone (for the feature it was made on, wherever the page is now). */
interface LastChange {
  feature: number;
  ref: LabelRef;
  previous: FeatureLabel | null;
  now: string;
}

const draftOf = (l: FeatureLabel | null | undefined): Draft => ({ label: l?.label ?? '', note: l?.note ?? '' });

/**
 * A feature's label and note, edited in place on its dashboard. Saved when a field loses focus or
 * on Enter in the label (Ctrl/Cmd+Enter in the note); Escape puts back what is stored. A save
 * goes to the feature the edit began on, even if the page has moved on meanwhile; the last save
 * can be undone (it sets back exactly the previous label and note).
 */
export function FeatureLabelEditor({ labelRef, feature, stored, demo }: { labelRef: LabelRef; feature: number; stored: FeatureLabel | null; demo?: boolean }) {
  const client = useClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(stored));
  const [last, setLast] = useState<LastChange | null>(null);
  const [error, setError] = useState<unknown>(null);
  const editing = useRef<{ feature: number; ref: LabelRef } | null>(null);
  const storedKey = `${feature}|${stored?.label ?? ''}|${stored?.note ?? ''}|${stored?.updatedAt ?? 0}`;

  // A stored value that changes (another feature opened, an import, an undo) replaces the draft unless the user is typing.
  useEffect(() => {
    if (!editing.current) setDraft(draftOf(stored));
    // storedKey stands for `stored` (a new object on every fetch).
  }, [storedKey]);

  const save = async (target: { feature: number; ref: LabelRef }, next: Draft) => {
    editing.current = null;
    const before = draftOf(stored);
    if (target.feature === feature && next.label.trim() === before.label && next.note.trim() === before.note) return;
    try {
      const r = await client.call('label.set', { ...target.ref, feature: target.feature, label: next.label, note: next.note });
      setLast({ feature: target.feature, ref: target.ref, previous: r.previous, now: r.label?.label ? featureName(target.feature, r.label.label) : `#${target.feature} (cleared)` });
      setError(null);
      labelsChanged();
    } catch (err) {
      setError(err);
    }
  };

  const undo = async () => {
    if (!last) return;
    try {
      await client.call('label.set', { ...last.ref, feature: last.feature, label: last.previous?.label ?? '', note: last.previous?.note ?? '' });
      setLast(null);
      labelsChanged();
    } catch (err) {
      setError(err);
    }
  };

  const begin = () => {
    if (!editing.current) editing.current = { feature, ref: labelRef };
  };
  const commit = () => {
    if (editing.current) void save(editing.current, draft);
  };
  const revert = (target: HTMLElement) => {
    editing.current = null;
    setDraft(draftOf(stored));
    target.blur();
  };

  return (
    <div className="label-editor" aria-label={`Label and note of feature ${feature}`}>
      <input
        className="label-input"
        aria-label="Feature label"
        placeholder="Label…"
        title="A short name, shown wherever the feature is. Enter or leaving the field saves; Esc puts back what is stored."
        maxLength={LABEL_MAX_CHARS}
        value={draft.label}
        onFocus={begin}
        onChange={(e) => {
          begin();
          setDraft((d) => ({ ...d, label: e.target.value }));
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit();
            (e.target as HTMLElement).blur();
          } else if (e.key === 'Escape') revert(e.target as HTMLElement);
        }}
      />
      <textarea
        className="note-input"
        aria-label="Feature note"
        placeholder="Note…"
        title="What it does and how you know. Ctrl+Enter or leaving the field saves; Esc puts back what is stored."
        maxLength={NOTE_MAX_CHARS}
        // One line when empty, room for the text when there is some (the field also resizes).
        rows={draft.note.includes('\n') || draft.note.length > 50 ? 3 : 1}
        value={draft.note}
        onFocus={begin}
        onChange={(e) => {
          begin();
          setDraft((d) => ({ ...d, note: e.target.value }));
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            commit();
            (e.target as HTMLElement).blur();
          } else if (e.key === 'Escape') revert(e.target as HTMLElement);
        }}
      />
      <div className="label-status small muted" role="status">
        {last ? (
          <>
            Saved {last.now}.{' '}
            <button className="link" onClick={() => void undo()}>
              Undo
            </button>
          </>
        ) : stored && stored.source !== 'edited' ? (
          `From ${stored.source}.`
        ) : demo && !stored ? (
          'Unlabelled. Name it once you know what it does.'
        ) : null}
      </div>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
