import { useEffect, useRef, type ReactNode } from 'react';
import './confirmDialog.css';

export interface ConfirmRequest {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  run: () => void | Promise<void>;
}

/**
 * Asks before an action that loses something (a long-running job, the Queue's records). The safe
 * choice has the focus, so Enter or Esc never does the harm by accident.
 */
export function ConfirmDialog({ request, onDone }: { request: ConfirmRequest; onDone: () => void }) {
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    keep.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      onDone();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onDone]);
  return (
    <div className="sheet-backdrop" onClick={onDone}>
      <div className="sheet confirm-dialog" role="alertdialog" aria-modal="true" aria-label={request.title} onClick={(e) => e.stopPropagation()}>
        <h2>{request.title}</h2>
        <div className="confirm-body">{request.body}</div>
        <div className="toolbar">
          <button
            className="primary danger"
            onClick={() => {
              onDone();
              void request.run();
            }}
          >
            {request.confirmLabel}
          </button>
          <button ref={keep} onClick={onDone}>
            {request.cancelLabel ?? 'Keep it'}
          </button>
        </div>
      </div>
    </div>
  );
}
