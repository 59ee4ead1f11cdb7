import { useState } from 'react';

/**
 * Forms that build a job's params for the "New job" panel, by kind. Kinds without a form get
 * a JSON editor. Capabilities with their own pages (downloads, training) queue jobs from there.
 */
export interface JobFormProps {
  onParams: (params: unknown) => void;
}

function VerifyFilesForm({ onParams }: JobFormProps) {
  const [paths, setPaths] = useState('');
  const list = paths
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean);
  return (
    <label className="field">
      Files or folders to hash (one absolute path per line)
      <textarea
        aria-label="Paths"
        rows={3}
        value={paths}
        onChange={(e) => {
          setPaths(e.target.value);
          const next = e.target.value
            .split('\n')
            .map((p) => p.trim())
            .filter(Boolean);
          onParams(next.length ? { paths: next } : null);
        }}
        placeholder="/home/me/.cache/huggingface/hub/models--org--name/snapshots/…"
      />
      <span className="muted">{list.length} path(s)</span>
    </label>
  );
}

function JsonParamsForm({ onParams }: JobFormProps) {
  const [text, setText] = useState('{}');
  const [bad, setBad] = useState(false);
  return (
    <label className="field">
      Parameters (JSON)
      <textarea
        aria-label="Parameters"
        rows={4}
        value={text}
        className={bad ? 'invalid' : ''}
        onChange={(e) => {
          setText(e.target.value);
          try {
            onParams(JSON.parse(e.target.value));
            setBad(false);
          } catch {
            onParams(null);
            setBad(true);
          }
        }}
      />
    </label>
  );
}

export function JobParamsForm({ kind, onParams }: { kind: string } & JobFormProps) {
  if (kind === 'files.verify') return <VerifyFilesForm key={kind} onParams={onParams} />;
  return <JsonParamsForm key={kind} onParams={onParams} />;
}
