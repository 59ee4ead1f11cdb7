import { routeHref } from '../router';

/**
 * THE link to a feature: `#/features?sae=<absolute SAE folder>&feature=<n>` (plus the index when
 * the caller knows it). The Features page resolves the SAE's index itself, or says which index is
 * missing and offers to build it. Every feature id shown anywhere goes through this component.
 */
export function FeatureLink({ sae, feature, index, label, className }: { sae: string; feature: number; index?: string; label?: string; className?: string }) {
  return (
    <a className={['feature-link', className].filter(Boolean).join(' ')} href={routeHref('features', { sae, feature, index })} title={label ? `#${feature} ${label}: open its feature page` : `Open feature #${feature}`}>
      #{feature}
    </a>
  );
}
