/**
 * No statistic, and so no verdict, is computed from NaN or ±Infinity: an overflowing model makes
 * every later number NaN, and "changes the metric by NaN: no different from random" reads like a
 * finding. The statistics refuse such inputs with NONFINITE_OUTPUT naming what held them.
 */
import { WorkbenchError } from '../errors';

/** Throws NONFINITE_OUTPUT when a value is NaN or ±Infinity; `what` names the values ("the null draws of seed 2"). */
export function requireFinite(values: ArrayLike<number> | number, what: string): void {
  const list: ArrayLike<number> = typeof values === 'number' ? [values] : values;
  let nan = 0;
  let inf = 0;
  let first = -1;
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (v - v === 0) continue;
    if (v !== v) nan++;
    else inf++;
    if (first < 0) first = i;
  }
  if (first < 0) return;
  const count = nan > 0 && inf > 0 ? `${nan} NaN and ${inf} infinite values` : nan > 0 ? `${nan === 1 ? 'a NaN value' : `${nan} NaN values`}` : `${inf === 1 ? 'an infinite value' : `${inf} infinite values`}`;
  const at = list.length > 1 ? ` (of ${list.length}; the first at index ${first})` : '';
  throw new WorkbenchError(
    'NONFINITE_OUTPUT',
    `${what} holds ${count}${at}; no statistic or verdict is computed from it.`,
    'The model or SAE overflows the float32 range on these inputs (or its weights are damaged); check them with `sae-workbench inspect`, or try other inputs.',
  );
}
