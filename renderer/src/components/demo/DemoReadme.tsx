import { useEffect, useState } from 'react';
import readme from '../../../../resources/demo/README.md?raw';
import { MarkdownView } from '../text/MarkdownView';
import './demo.css';

/**
 * "resources/demo/README.md" as a link that opens the document in the page (bundled with the
 * renderer at build time: it is the same for everyone and holds no data). Esc or Close shuts it.
 */
export function DemoReadmeLink({ children = 'resources/demo/README.md' }: { children?: string }) {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        setOpen(false);
      }
    };
    // Capture: the sheet's Esc wins over the page's own (closing a details panel beneath it).
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [open]);
  return (
    <>
      <button type="button" className="link inline-link" onClick={() => setOpen(true)}>
        {children}
      </button>
      {open && (
        <div className="sheet-backdrop" onClick={() => setOpen(false)}>
          <div className="sheet sheet-wide" role="dialog" aria-modal="true" aria-label="The demo bundle's README" onClick={(e) => e.stopPropagation()}>
            <div className="md-head">
              <span className="muted small mono">resources/demo/README.md</span>
              <button className="link" onClick={() => setOpen(false)} aria-label="Close the README">
                Close
              </button>
            </div>
            <MarkdownView source={readme} />
          </div>
        </div>
      )}
    </>
  );
}
