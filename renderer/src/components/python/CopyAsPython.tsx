import { useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { pythonSnippet, type CoreInfo, type PyStatement } from './pythonSnippet';
import './python.css';

const infoByClient = new WeakMap<ApiClient, Promise<CoreInfo | null>>();

/** The core's data directory (for Workbench.connect) and front door, asked once per client. */
function useCoreInfo(): CoreInfo | null {
  const client = useClient();
  const [info, setInfo] = useState<CoreInfo | null>(null);
  useEffect(() => {
    if (!infoByClient.has(client)) infoByClient.set(client, client.call('app.info', {}).then((i) => ({ home: i.home, frontDoor: i.frontDoor }), () => null));
    let live = true;
    void infoByClient.get(client)!.then((i) => live && setInfo(i));
    return () => {
      live = false;
    };
  }, [client]);
  return info;
}

/**
 * "Copy as Python": copies a snippet that reproduces this view's data with the Python client
 * (connect + the calls with the view's exact parameters) and shows it, to read before running.
 */
export function CopyAsPython({ statements }: { statements: PyStatement[] }) {
  const core = useCoreInfo();
  const [open, setOpen] = useState(false);
  const [copied, setCopied] = useState<boolean | null>(null);
  // The panel opens towards the roomier side of the button (page heads put it left or right).
  const [side, setSide] = useState<'left' | 'right'>('right');
  const anchor = useRef<HTMLSpanElement>(null);
  const snippet = pythonSnippet(statements, core);
  const copy = () => {
    const box = anchor.current?.getBoundingClientRect();
    setSide(box && box.left + box.width / 2 < window.innerWidth / 2 ? 'left' : 'right');
    setOpen(true);
    if (!navigator.clipboard) return setCopied(false);
    navigator.clipboard.writeText(snippet).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <span className="copy-python" ref={anchor}>
      <button type="button" onClick={open ? () => setOpen(false) : copy} aria-expanded={open} title="A Python snippet (sae_workbench client) that reproduces this view's data">
        {open ? 'Hide Python' : 'Copy as Python'}
      </button>
      {open && (
        <div className={`copy-python-panel ${side}`} role="dialog" aria-label="Python snippet">
          <div className="small muted">{copied ? 'Copied to the clipboard.' : copied === false ? 'Select and copy the snippet below.' : ''} Needs the client: pip install ./python (README, "Python client").</div>
          <pre className="mono" aria-label="Python code">{snippet}</pre>
        </div>
      )}
    </span>
  );
}
