/**
 * A feature's label where its id is shown: `#255 "step onset"` reads as the id followed by this
 * tag (the contract's featureName is the same rule in text). Nothing when unlabelled.
 */
export function LabelTag({ label, className }: { label: string | null | undefined; className?: string }) {
  if (!label) return null;
  return (
    <span className={['feature-label-tag', className].filter(Boolean).join(' ')} title={label}>
      {label}
    </span>
  );
}
