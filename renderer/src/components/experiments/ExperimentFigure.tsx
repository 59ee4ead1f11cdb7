import { useRef, type ReactNode } from 'react';
import { downloadPng, downloadSvg } from './exportFigure';

/** A plot with its own "save as SVG / PNG" buttons. */
export function ExperimentFigure({ name, children }: { name: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  return (
    <div className="experiment-figure">
      <div ref={box}>{children}</div>
      <div className="result-actions">
        <button className="link" onClick={() => downloadSvg(`${name}.svg`, box.current)}>
          Save plot as SVG
        </button>
        <button className="link" onClick={() => void downloadPng(`${name}.png`, box.current)}>
          PNG
        </button>
      </div>
    </div>
  );
}
