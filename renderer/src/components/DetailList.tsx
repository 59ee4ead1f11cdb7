import type { ReactNode } from 'react';

/** One row: label, value (undefined rows are left out, null shows "–"), and whether the value is code-like. */
export type DetailRow = [label: ReactNode, value: ReactNode, options?: { mono?: boolean }];

/** Label / value details aligned in two columns, the same everywhere (Library, Queue, Prompt). */
export function DetailList({ rows, label }: { rows: DetailRow[]; label?: string }) {
  return (
    <dl className="details" aria-label={label}>
      {rows
        .filter(([, v]) => v !== undefined)
        .map(([k, v, o], i) => (
          <div className="detail-row" key={i}>
            <dt>{k}</dt>
            <dd className={o?.mono ? 'mono' : undefined}>{v === null || v === '' ? '–' : v}</dd>
          </div>
        ))}
    </dl>
  );
}
