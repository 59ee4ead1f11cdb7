import { useRef, useState, type ReactNode } from 'react';
import { downloadPng, downloadSvg } from './exportFigure';

/** A plot with its own "save as SVG / PNG" buttons; a save that fails says why beside them. */
export function ExperimentFigure({ name, children }: { name: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const save = async (fn: () => void | Promise<void>) => {
    setFailure(null);
    try {
      await fn();
    } catch (err) {
      setFailure((err as Error).message);
    }
  };
  return (
    <div className="experiment-figure">
      <div ref={box}>{children}</div>
      <div className="result-actions">
        <button className="link" onClick={() => void save(() => downloadSvg(`${name}.svg`, box.current))}>
          Save plot as SVG
        </button>
        <button className="link" onClick={() => void save(() => downloadPng(`${name}.png`, box.current))}>
          PNG
        </button>
        {failure && (
          <span className="error-text small" role="alert">
            {failure}
          </span>
        )}
      </div>
    </div>
  );
}
