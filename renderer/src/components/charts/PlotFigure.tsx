/**
 * Every chart in the app is Observable Plot (histograms, scatters, line charts, bars with error
 * whiskers) drawn through this one component: it sizes the plot to its container, redraws when
 * the data or the width changes, and takes colours from the theme's CSS variables so charts
 * follow light and dark mode.
 */
import * as Plot from '@observablehq/plot';
import { useEffect, useRef, useState } from 'react';
import { useResolvedTheme } from '../../theme';

export type PlotOptions = Plot.PlotOptions;

export interface PlotFigureProps {
  /** Builds the Plot options for the available width (px). */
  options: (width: number) => PlotOptions;
  /** Accessible name of the figure. */
  label: string;
  /** Redraw when any of these change (the data, the scales chosen). */
  deps: unknown[];
  className?: string;
  /** Minimum height reserved before the first draw, to avoid layout jumps. */
  minHeight?: number;
  /**
   * Called with the datum under the pointer when the figure is clicked (marks that use Plot's
   * pointer interaction, e.g. `tip: true` or `Plot.pointer`, set it).
   */
  onPick?: (datum: unknown) => void;
}

/** A CSS variable of the theme, for marks (Plot needs concrete colours, not var() references). */
export function themeColor(name: string, fallback = 'currentColor'): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function PlotFigure({ options, label, deps, className, minHeight = 120, onPick }: PlotFigureProps) {
  const pick = useRef(onPick);
  pick.current = onPick;
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  // Marks take concrete colours from the theme: redraw when it changes.
  const theme = useResolvedTheme();
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    const el = box.current;
    if (!el || width === 0) return;
    const figure = Plot.plot({ width, style: { background: 'transparent', color: 'var(--text)', fontSize: '11px' }, ...options(width) });
    el.replaceChildren(figure);
    const onClick = () => {
      const datum = (figure as unknown as { value?: unknown }).value;
      if (datum != null) pick.current?.(datum);
    };
    figure.addEventListener('click', onClick);
    return () => {
      figure.removeEventListener('click', onClick);
      figure.remove();
    };
    // `deps` names what the options read: the builder itself changes on every render.
  }, [width, theme, ...deps]);
  return <div ref={box} className={['plot-figure', className].filter(Boolean).join(' ')} role="figure" aria-label={label} style={{ minHeight }} />;
}
