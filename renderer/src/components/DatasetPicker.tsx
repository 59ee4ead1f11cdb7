import { useState } from 'react';

export interface DatasetChoice {
  path: string;
  label: string;
}

const TYPED = '\0typed';

/**
 * The datasets the app knows (the demo's and the Library's) as one select, the way every form
 * picks them; "Another file or folder…" opens a path field for one the Library does not list.
 * The full path shows as the option's tooltip and under a typed choice.
 */
export function DatasetPicker({ label, value, options, onChange, className }: { label: string; value: string; options: DatasetChoice[]; onChange: (path: string) => void; className?: string }) {
  const known = options.some((o) => o.path === value);
  const [typing, setTyping] = useState(false);
  const typed = typing || (value !== '' && !known);
  return (
    <span className={['dataset-picker', className].filter(Boolean).join(' ')}>
      <select
        aria-label={label}
        value={typed ? TYPED : value}
        title={value || undefined}
        onChange={(e) => {
          const next = e.target.value;
          setTyping(next === TYPED);
          if (next !== TYPED) onChange(next);
        }}
      >
        <option value="">{options.length ? 'Choose a dataset…' : 'No datasets in the Library yet'}</option>
        {options.map((o) => (
          <option key={o.path} value={o.path} title={o.path}>
            {o.label}
          </option>
        ))}
        <option value={TYPED}>Another file or folder…</option>
      </select>
      {typed && <input aria-label={`${label} path`} placeholder="/path/to/data.jsonl (.jsonl, .txt, .parquet or a folder)" value={value} onChange={(e) => onChange(e.target.value)} />}
    </span>
  );
}
