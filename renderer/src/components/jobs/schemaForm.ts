/**
 * A job kind's form, generated from its params JSON Schema (jobs.kinds, from the kind's zod
 * schema): one field per parameter with its type, default and description. Values are kept as
 * the text the user typed; paramsFromValues turns them into params and says what is wrong with
 * each field, so the form can name the problem before the core is asked.
 */
import type { JobParamsSchema, JsonSchemaNode } from '../../../../preload/api';

export type FieldKind = 'text' | 'number' | 'integer' | 'boolean' | 'enum' | 'lines' | 'json';

export interface FormField {
  key: string;
  /** "repoId" -> "Repo id". */
  label: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  default?: unknown;
  options?: unknown[];
  min?: number;
  max?: number;
  minItems?: number;
}

/** What the user typed per field: text for inputs, a flag for checkboxes. */
export type FormValues = Record<string, string | boolean>;

export function humanLabel(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function kindOf(n: JsonSchemaNode): FieldKind {
  if (n.enum) return 'enum';
  if (n.type === 'boolean') return 'boolean';
  if (n.type === 'integer') return 'integer';
  if (n.type === 'number') return 'number';
  if (n.type === 'string') return 'text';
  if (n.type === 'array' && n.items?.type === 'string' && !n.items.enum) return 'lines';
  return 'json';
}

export function formFields(schema: JobParamsSchema): FormField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, n]) => ({
    key,
    label: humanLabel(key),
    kind: kindOf(n),
    required: required.has(key),
    ...(n.description ? { description: n.description } : {}),
    ...(n.default !== undefined ? { default: n.default } : {}),
    ...(n.enum ? { options: n.enum } : {}),
    ...(n.minimum !== undefined ? { min: n.minimum } : {}),
    ...(n.maximum !== undefined ? { max: n.maximum } : {}),
    ...(n.minItems !== undefined ? { minItems: n.minItems } : {}),
  }));
}

/** The text a value is edited as, for each kind of field. */
function toText(f: FormField, v: unknown): string | boolean {
  if (f.kind === 'boolean') return v === true;
  if (v === undefined || v === null) return '';
  if (f.kind === 'lines' && Array.isArray(v)) return v.join('\n');
  if (f.kind === 'enum') return JSON.stringify(v);
  if (f.kind === 'json') return JSON.stringify(v, null, 2);
  return String(v);
}

/** The form's starting values: the given params where present, else each field's default. */
export function valuesFromParams(fields: FormField[], params: Record<string, unknown> = {}): FormValues {
  return Object.fromEntries(fields.map((f) => [f.key, toText(f, f.key in params ? params[f.key] : f.default)]));
}

export interface ParsedForm {
  params: Record<string, unknown>;
  /** Per field key: what is wrong with it. Empty when the params can be sent. */
  errors: Record<string, string>;
}

export function paramsFromValues(fields: FormField[], values: FormValues): ParsedForm {
  const params: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const raw = values[f.key];
    if (f.kind === 'boolean') {
      params[f.key] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') {
      if (f.required) errors[f.key] = 'required';
      continue;
    }
    switch (f.kind) {
      case 'text':
        params[f.key] = text;
        break;
      case 'number':
      case 'integer': {
        const n = Number(text);
        if (!Number.isFinite(n)) errors[f.key] = 'not a number';
        else if (f.kind === 'integer' && !Number.isInteger(n)) errors[f.key] = 'must be a whole number';
        else if (f.min !== undefined && n < f.min) errors[f.key] = `at least ${f.min}`;
        else if (f.max !== undefined && n > f.max) errors[f.key] = `at most ${f.max}`;
        else params[f.key] = n;
        break;
      }
      case 'enum': {
        const option = f.options?.find((o) => JSON.stringify(o) === text);
        if (option === undefined) errors[f.key] = `one of ${f.options?.map((o) => JSON.stringify(o)).join(', ')}`;
        else params[f.key] = option;
        break;
      }
      case 'lines': {
        const lines = text
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
        if (f.minItems !== undefined && lines.length < f.minItems) errors[f.key] = `at least ${f.minItems} line(s)`;
        else params[f.key] = lines;
        break;
      }
      case 'json':
        try {
          params[f.key] = JSON.parse(text);
        } catch {
          errors[f.key] = 'not valid JSON';
        }
        break;
    }
  }
  return { params, errors };
}

/** Keys of raw JSON params the kind does not have, for a refusal that names the valid ones. */
export function unknownKeys(fields: FormField[], params: unknown): string[] {
  if (!params || typeof params !== 'object' || Array.isArray(params)) return [];
  const known = new Set(fields.map((f) => f.key));
  return Object.keys(params).filter((k) => !known.has(k));
}
