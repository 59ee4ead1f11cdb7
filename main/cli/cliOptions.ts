import { WorkbenchError } from '../errors';
import type { OutputChoice } from '../outputs/outputPath';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** A required string option, or a usage error naming it. */
export function requiredString(values: Values, name: string, usage: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.length === 0) throw new WorkbenchError('BAD_ARGUMENT', `--${name} is required.`, `Usage: ${usage}`);
  return v;
}

/** "a,b, c" -> ["a","b","c"]; empty items are an error naming the option. */
export function commaList(value: string, name: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s.length === 0)) throw new WorkbenchError('BAD_ARGUMENT', `--${name} "${value}" has an empty item.`, `Separate items with single commas, e.g. --${name} a,b.`);
  return items;
}

/** --overwrite: the one flag that lets a command replace files it writes (see outputs/outputPath). */
export const overwriteOption = { overwrite: { type: 'boolean' } } as const;

/** The user's --out (or another output option) as the output rule takes it: relative to their working directory. */
export function outputChoice(values: Values, option = 'out'): OutputChoice | null {
  const v = values[option];
  if (v === undefined) return null;
  if (typeof v !== 'string') throw new WorkbenchError('BAD_ARGUMENT', `--${option} takes a path.`, `Give --${option} <path>.`);
  return { option: `--${option}`, path: v, origin: { surface: 'cli', cwd: process.cwd() }, overwrite: values.overwrite === true };
}

/** A numeric option (integer unless told otherwise), or undefined when absent; a usage error naming it when not a number. */
export function numberFlag(values: Values, name: string, usage: string, integer = true): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new WorkbenchError('BAD_ARGUMENT', `--${name} "${String(v)}" is not ${integer ? 'an integer' : 'a number'}.`, `Usage: ${usage}`);
  }
  return n;
}
