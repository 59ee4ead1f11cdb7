/**
 * What a dictionary looks like beyond reconstruction, as main/evals/dictionaryMetrics.ts computes
 * it (the figures are the core's; nothing is recomputed here): live latents, the share with a
 * near-duplicate, max and mean max decoder cosine, ultra-dense latents, the log10 firing-density
 * histogram, and the duplicate groups with links to each latent's feature page. The same panel
 * serves training runs and evaluations of any Library SAE.
 */
import * as Plot from '@observablehq/plot';
import type { DictionaryReport } from '../../../../preload/api';
import { PlotFigure, themeColor } from '../charts/PlotFigure';
import { FeatureLink } from '../FeatureLink';

export function DictionaryPanel({ sae, dictionary: d, label }: { sae: string; dictionary: DictionaryReport; label: string }) {
  const bins = d.density_histogram.counts.map((count, i) => ({ x1: d.density_histogram.log10_min + i * d.density_histogram.bin_width, x2: d.density_histogram.log10_min + (i + 1) * d.density_histogram.bin_width, count }));
  const denseEdge = Math.log10(d.dense_density);
  return (
    <div className="dictionary-panel" aria-label={`Dictionary of ${label}`}>
      <div className="dictionary-summary small">
        <span data-figure="live">{d.live} live latents</span> ·{' '}
        <span data-figure="duplicates" className={d.duplicates > 0 ? 'warn-text' : ''}>
          {d.duplicate_pct.toFixed(1)} % with a near-duplicate ({d.duplicates} latents in {d.group_count} group{d.group_count === 1 ? '' : 's'}, decoder cosine ≥ {d.duplicate_cosine})
        </span>{' '}
        · <span data-figure="max-cosine">max cosine {d.max_cosine.toFixed(3)}</span> · <span data-figure="mean-max-cosine">mean max cosine {d.mean_max_cosine.toFixed(3)}</span> ·{' '}
        <span data-figure="dense">{d.dense_pct.toFixed(1)} % dense (firing on &gt; {d.dense_density * 100} % of tokens)</span>
        {d.density_histogram.dead > 0 ? ` · ${d.density_histogram.dead} never fired` : ''}
      </div>
      <div className="dictionary-body">
        <PlotFigure
          label={`Firing density of ${label}`}
          deps={[d]}
          minHeight={150}
          className="density-histogram"
          options={(width) => ({
            width: Math.min(width, 460),
            height: 150,
            marginLeft: 40,
            x: { label: 'log10 firing density (live latents)', domain: [bins[0]?.x1 ?? -5, 0] },
            y: { label: 'latents', grid: true },
            marks: [
              Plot.rectY(bins, { x1: 'x1', x2: 'x2', y: 'count', fill: themeColor('--accent', '#2563eb'), tip: true }),
              Plot.ruleX([denseEdge], { stroke: themeColor('--warn', '#b45309'), strokeDasharray: '4,3' }),
              Plot.text([denseEdge], { x: (v: number) => v, frameAnchor: 'top', text: () => 'dense', dx: 16, fill: themeColor('--warn', '#b45309') }),
              Plot.ruleY([0]),
            ],
          })}
        />
        {d.groups.length > 0 ? (
          <table className="duplicate-groups" aria-label={`Duplicate groups of ${label}`}>
            <thead>
              <tr>
                <th>Latents</th>
                <th>Max cosine</th>
                <th>Most similar pairs (cosine, co-firing r)</th>
              </tr>
            </thead>
            <tbody>
              {d.groups.map((g) => (
                <tr key={g.latents[0]} data-group-size={g.latents.length}>
                  <td className="group-latents">
                    {g.latents.map((l) => (
                      <FeatureLink key={l} sae={sae} feature={l} />
                    ))}
                  </td>
                  <td className="num">{g.max_cosine.toFixed(3)}</td>
                  <td className="small">
                    {g.pairs.slice(0, 4).map((p) => (
                      <span key={`${p.a}-${p.b}`} className="dup-pair">
                        #{p.a}–#{p.b} {p.cosine.toFixed(3)}, r {p.co_firing_r.toFixed(3)}
                      </span>
                    ))}
                    {g.pair_count > 4 ? <span className="muted"> and {g.pair_count - 4} more pairs</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <div className="muted small">No two live latents share a decoder direction (cosine ≥ {d.duplicate_cosine}).</div>
        )}
      </div>
      {d.group_count > d.groups.length && <div className="muted small">The {d.groups.length} largest of {d.group_count} groups are listed.</div>}
    </div>
  );
}
