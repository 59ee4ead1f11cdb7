import type { ReactNode } from 'react';
import { useShortcuts } from '../shortcuts';

/**
 * A list with the chosen row's details beside it (a right-hand column on wide windows, a panel
 * sliding over the list on narrow ones). Esc closes the details.
 */
export function MasterDetail({ detail, onClose, label, wide = false, children }: { detail: ReactNode | null; onClose: () => void; label: string; wide?: boolean; children: ReactNode }) {
  useShortcuts('Details', detail ? [{ keys: 'Escape', description: 'Close the details panel', run: onClose, inFields: true }] : []);
  return (
    <div className={`master-detail${detail ? ' open' : ''}${wide ? ' wide' : ''}`}>
      <div className="md-list">{children}</div>
      {detail && (
        <aside className="md-detail" role="region" aria-label={label}>
          {detail}
        </aside>
      )}
    </div>
  );
}
