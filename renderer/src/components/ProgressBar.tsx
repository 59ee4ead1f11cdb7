export function ProgressBar({ value, label }: { value: number | null; label?: string }) {
  const pct = value == null ? null : Math.round(value * 1000) / 10;
  return (
    <div className={value == null ? 'progress indeterminate' : 'progress'} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? undefined} aria-label={label}>
      <div className="progress-fill" style={{ width: `${pct ?? 100}%` }} />
    </div>
  );
}
