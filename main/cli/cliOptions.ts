import { WorkbenchError } from '../errors';

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
