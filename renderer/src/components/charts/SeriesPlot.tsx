import * as Plot from '@observablehq/plot';
import { PlotFigure, themeColor } from './PlotFigure';

/** A numeric vector as a small line-and-dot chart: index on x, value on y, zero marked. */
export function SeriesPlot({ values, label, height = 140 }: { values: number[]; label: string; height?: number }) {
  return (
    <PlotFigure
      label={label}
      deps={[values]}
      minHeight={height}
      options={() => {
        const accent = themeColor('--accent');
        const data = values.map((v, i) => ({ i, v }));
        return {
          height,
          marginLeft: 48,
          x: { label: 'index', nice: true },
          y: { label: null, grid: true, zero: values.some((v) => v < 0) },
          marks: [
            Plot.ruleY([0], { stroke: themeColor('--border-strong') }),
            Plot.lineY(data, { x: 'i', y: 'v', stroke: accent, strokeWidth: 1.2 }),
            ...(values.length <= 256 ? [Plot.dot(data, { x: 'i', y: 'v', fill: accent, r: 1.8 })] : []),
            Plot.tip(data, Plot.pointerX({ x: 'i', y: 'v', title: (d: { i: number; v: number }) => `[${d.i}] ${d.v}` })),
          ],
        };
      }}
    />
  );
}
