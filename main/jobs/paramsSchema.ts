import { z } from 'zod';
import type { JobParamsSchema } from '../../preload/api';
import { WorkbenchError } from '../errors';

/**
 * A job kind's params as JSON Schema (zod 4's toJSONSchema, input side: defaults are optional),
 * so the Queue can generate each kind's form and the CLI list its parameters from the one zod
 * schema that also validates them.
 */
export function paramsJsonSchema(params: z.ZodType): JobParamsSchema {
  const schema = z.toJSONSchema(params, { io: 'input', unrepresentable: 'any' }) as JobParamsSchema;
  delete (schema as { $schema?: string }).$schema;
  return schema;
}

export interface ParamField {
  key: string;
  /** Human words for the type: "string", "integer 1-16", "list of strings", '"model" | "dataset"'. */
  type: string;
  required: boolean;
  default?: unknown;
  description?: string;
}

type Node = JobParamsSchema['properties'][string];

function typeWords(n: Node): string {
  if (n.enum) return n.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (n.type === 'array') return `list of ${n.items ? `${typeWords(n.items)}s` : 'values'}`;
  if (n.type === 'integer' || n.type === 'number') {
    const range = n.minimum !== undefined && n.maximum !== undefined ? ` ${n.minimum}-${n.maximum}` : n.minimum !== undefined ? ` >= ${n.minimum}` : '';
    return `${n.type}${range}`;
  }
  if (n.type === 'object') return 'object';
  return typeof n.type === 'string' ? n.type : 'value';
}

/** The top-level parameters of a kind, in schema order. */
export function paramFields(schema: JobParamsSchema): ParamField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, n]) => ({
    key,
    type: typeWords(n),
    required: required.has(key),
    ...(n.default !== undefined ? { default: n.default } : {}),
    ...(n.description ? { description: n.description } : {}),
  }));
}

/** "paths (list of strings, required), expected (object)": for hints and the CLI. */
export function describeParamFields(fields: ParamField[]): string {
  if (fields.length === 0) return 'none (pass {})';
  return fields.map((f) => `${f.key} (${f.type}${f.required ? ', required' : ''}${f.default !== undefined ? `, default ${JSON.stringify(f.default)}` : ''})`).join(', ');
}

/**
 * Validate raw params for a kind; a refusal names what is wrong (unknown keys by name, the field
 * and its problem) and, in its hint, every valid key with its type.
 */
export function parseJobParams<P>(kindName: string, params: z.ZodType<P>, raw: unknown): P {
  const parsed = params.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${issue.path.join('.') || '(params)'}: ${issue.message}`;
  });
  throw new WorkbenchError('INVALID_JOB_PARAMS', `Invalid parameters for a "${kindName}" job: ${problems.join('; ')}.`, `Valid keys: ${describeParamFields(paramFields(paramsJsonSchema(params)))}.`);
}
