import { useEffect, useMemo, useState } from 'react';
import type { JobParamsSchema } from '../../../../preload/api';
import { formFields, paramsFromValues, unknownKeys, valuesFromParams, type FormField, type FormValues } from './schemaForm';

/**
 * The params form of one job kind, generated from its schema; "Raw JSON" edits the same params
 * as text (for what a form cannot say). Reports the params when they are complete, else null.
 */
export function SchemaForm({ schema, prefill, onParams }: { schema: JobParamsSchema; prefill?: Record<string, unknown>; onParams: (params: Record<string, unknown> | null) => void }) {
  const fields = useMemo(() => formFields(schema), [schema]);
  const [values, setValues] = useState<FormValues>(() => valuesFromParams(fields, prefill));
  const [raw, setRaw] = useState<string | null>(null);
  // "required" is said only once a field was touched; a value that is wrong is said at once.
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const parsed = useMemo(() => paramsFromValues(fields, values), [fields, values]);
  const rawCheck = useMemo(() => (raw === null ? null : checkRaw(fields, raw)), [fields, raw]);

  useEffect(() => {
    if (rawCheck) onParams(rawCheck.error ? null : rawCheck.params);
    else onParams(Object.keys(parsed.errors).length === 0 ? parsed.params : null);
  }, [parsed, rawCheck, onParams]);

  const set = (key: string, v: string | boolean) => {
    setValues((cur) => ({ ...cur, [key]: v }));
    setTouched((t) => (t.has(key) ? t : new Set(t).add(key)));
  };
  const errorOf = (key: string) => (parsed.errors[key] === 'required' && !touched.has(key) ? undefined : parsed.errors[key]);
  return (
    <div className="job-form">
      {fields.length === 0 && <p className="muted small">This kind takes no parameters.</p>}
      {raw === null ? (
        <div className="job-fields">
          {fields.map((f) => (
            <Field key={f.key} field={f} value={values[f.key]} error={errorOf(f.key)} onChange={(v) => set(f.key, v)} />
          ))}
        </div>
      ) : (
        <label className="field">
          Parameters (JSON)
          <textarea aria-label="Parameters (JSON)" className={`mono${rawCheck?.error ? ' invalid' : ''}`} rows={Math.min(14, Math.max(4, raw.split('\n').length + 1))} value={raw} onChange={(e) => setRaw(e.target.value)} />
          {rawCheck?.error && (
            <span className="field-error" role="alert">
              {rawCheck.error}
            </span>
          )}
        </label>
      )}
      {fields.length > 0 && (
        <button
          type="button"
          className="link"
          onClick={() => {
            if (raw === null) setRaw(JSON.stringify(parsed.params, null, 2));
            else {
              if (rawCheck && !rawCheck.error) setValues(valuesFromParams(fields, rawCheck.params));
              setRaw(null);
            }
          }}
        >
          {raw === null ? 'Edit as raw JSON (advanced)' : 'Back to the form'}
        </button>
      )}
    </div>
  );
}

function checkRaw(fields: FormField[], text: string): { params: Record<string, unknown>; error: string | null } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { params: {}, error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { params: {}, error: 'The parameters must be a JSON object, e.g. {}.' };
  const unknown = unknownKeys(fields, v);
  if (unknown.length > 0) return { params: {}, error: `Unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; valid keys: ${fields.map((f) => f.key).join(', ')}.` };
  const missing = fields.filter((f) => f.required && !(f.key in (v as object))).map((f) => f.key);
  if (missing.length > 0) return { params: v as Record<string, unknown>, error: `Missing ${missing.map((k) => `"${k}"`).join(', ')}.` };
  return { params: v as Record<string, unknown>, error: null };
}

function Field({ field: f, value, error, onChange }: { field: FormField; value: string | boolean; error?: string; onChange: (v: string | boolean) => void }) {
  const text = typeof value === 'string' ? value : '';
  const describedBy = f.description ? `field-${f.key}-description` : undefined;
  if (f.kind === 'boolean') {
    return (
      <div className="field">
        <label className="check">
          <input type="checkbox" aria-label={f.label} checked={value === true} onChange={(e) => onChange(e.target.checked)} aria-describedby={describedBy} />
          {f.label}
        </label>
        {f.description && (
          <span className="field-description" id={describedBy}>
            {f.description}
          </span>
        )}
      </div>
    );
  }
  const common = { 'aria-label': f.label, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined, className: error ? 'invalid' : undefined };
  let input;
  switch (f.kind) {
    case 'enum':
      input = (
        <select {...common} value={text} onChange={(e) => onChange(e.target.value)}>
          {!f.required && f.default === undefined && <option value="">(not set)</option>}
          {f.options?.map((o) => (
            <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
              {String(o)}
            </option>
          ))}
        </select>
      );
      break;
    case 'lines':
    case 'json':
      input = <textarea {...common} className={[common.className, f.kind === 'json' ? 'mono' : ''].filter(Boolean).join(' ') || undefined} rows={3} value={text} onChange={(e) => onChange(e.target.value)} />;
      break;
    case 'number':
    case 'integer':
      input = <input {...common} type="number" min={f.min} max={f.max} step={f.kind === 'integer' ? 1 : 'any'} value={text} onChange={(e) => onChange(e.target.value)} />;
      break;
    default:
      input = <input {...common} value={text} onChange={(e) => onChange(e.target.value)} />;
  }
  return (
    <label className="field">
      <span>
        {f.label} <span className="mono muted">{f.key}</span>
        {f.required && <span className="field-required"> *</span>}
        {f.kind === 'lines' && <span className="muted small"> (one per line)</span>}
      </span>
      {input}
      {f.description && (
        <span className="field-description" id={describedBy}>
          {f.description}
        </span>
      )}
      {error && <span className="field-error">{f.label}: {error}</span>}
    </label>
  );
}
