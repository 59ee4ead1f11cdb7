/**
 * Display of experiment numbers: the contract's one formatter for statistics (formatStat: three
 * significant digits with trailing zeros, exponents only below 1e-3 and from 1e5), the same the
 * verdict sentences are written with, so a tile and its verdict never disagree.
 */
import { formatPValue, formatStat } from '../../../../preload/api';

export const num = (v: number | null | undefined): string => formatStat(v);
export const pValue = formatPValue;

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`;
}
