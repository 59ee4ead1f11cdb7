/** How a bar should read: moving work, or the record of work that ended (done, stopped, failed). */
export type ProgressTone = 'live' | 'finished' | 'stopped' | 'failed';

export function ProgressBar({ value, label, tone = 'live' }: { value: number | null; label?: string; tone?: ProgressTone }) {
  const pct = value == null ? null : Math.round(value * 1000) / 10;
  const classes = ['progress', value == null && tone === 'live' ? 'indeterminate' : '', tone !== 'live' ? tone : ''].filter(Boolean).join(' ');
  return (
    <div className={classes} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? undefined} aria-label={label} data-tone={tone}>
      <div className="progress-fill" style={{ width: `${pct ?? (tone === 'live' ? 100 : 0)}%` }} />
    </div>
  );
}

/** The tone of a job's bar from its state. */
export function toneOfJobState(state: string): ProgressTone {
  if (state === 'completed') return 'finished';
  if (state === 'failed' || state === 'interrupted') return 'failed';
  if (state === 'cancelled' || state === 'paused') return 'stopped';
  return 'live';
}
