/**
 * Every string that says what an experiment did: verdict subjects ("Zero-ablating feature 255 in
 * sae-workbench/demo-adhd"), measures, steering panel labels and job titles. They are built here
 * and nowhere else, so what names a feature (today its id; a label when it has one) changes in one
 * place: `featureName`.
 */
import type { STEER_INTERVENTIONS, SwapSettings } from '../../preload/api';
import { featureName as contractFeatureName, formatStat } from '../../preload/api';
import type { Metric } from './metric';

type Intervention = (typeof STEER_INTERVENTIONS)[number];

/** The user's labels of an SAE's features (main/labels), by feature id. */
export type FeatureLabels = ReadonlyMap<number, string> | undefined;

/** How one feature is named in a sentence or a title: `#255`, or `#255 "step onset"` when labelled. */
export function featureName(feature: number, labels?: FeatureLabels): string {
  return contractFeatureName(feature, labels?.get(feature));
}

/** "feature #255", "features #12, #40", the first six and a count beyond. */
export function describeFeatures(features: readonly number[], labels?: FeatureLabels): string {
  const shown = features.slice(0, 6).map((f) => featureName(f, labels)).join(', ');
  return `${features.length === 1 ? 'feature' : 'features'} ${shown}${features.length > 6 ? `, … (${features.length})` : ''}`;
}

export function measureLabel(metric: Pick<Metric, 'label'>, condition: string | null): string {
  return `the ${metric.label}${condition ? ` at ${condition}` : ''}`;
}

export function ablationSubject(mode: 'zero' | 'mean', features: readonly number[], model: string, labels?: FeatureLabels): string {
  return `${mode === 'zero' ? 'Zero' : 'Mean'}-ablating ${describeFeatures(features, labels)} in ${model}`;
}

export interface SteerSubject {
  intervention: Intervention;
  feature: number;
  strength: number;
  /** The model steered. */
  model: string;
  /** The model whose SAE gave the direction, when it is not `model`. */
  carriedFrom: string | null;
  /** Where in the documents: '' (every position) or ' at the condition positions'. */
  where: string;
  labels?: FeatureLabels;
}

export function steeringSubject(s: SteerSubject): string {
  const from = s.carriedFrom ? ` (carried from ${s.carriedFrom}'s SAE)` : '';
  const inModel = `${s.where} in ${s.model}`;
  const direction = `W_dec[${featureName(s.feature, s.labels)}]`;
  switch (s.intervention) {
    case 'add':
      return `Adding ${formatStat(s.strength)} × ${direction}${from}${inModel}`;
    case 'replace':
      return `Setting the component along ${direction}${from} to ${formatStat(s.strength)}${inModel}`;
    case 'ablate':
      return `Zero-ablating ${describeFeatures([s.feature], s.labels)}${from}${inModel}`;
  }
}

/** A steering panel's title: model, feature, intervention. */
export function steerPanelLabel(p: { model: string; feature: number; intervention: Intervention; carried: boolean; labels?: FeatureLabels }): string {
  return `${p.model} · ${describeFeatures([p.feature], p.labels)} · ${p.intervention}${p.carried ? ' (carried)' : ''}`;
}

export function swapSubject(p: { mode: SwapSettings['mode']; hook: string; modelA: string; modelB: string; features: readonly number[] | 'all'; labels?: FeatureLabels }): string {
  if (p.mode === 'layers') return `Continuing ${p.modelA}'s ${p.hook} through ${p.modelB}'s later layers`;
  return `Swapping ${p.features === 'all' ? 'all latents' : describeFeatures(p.features, p.labels)} of ${p.modelB}'s SAE into ${p.modelA}`;
}

// ---------------------------------------------------------------- job titles

export function ablateTitle(p: { features: readonly number[]; metric: string }, sae: string, labels?: FeatureLabels): string {
  const shown = p.features.slice(0, 4).map((f) => featureName(f, labels)).join(', ');
  return `Ablate ${p.features.length > 1 ? 'features' : 'feature'} ${shown}${p.features.length > 4 ? '…' : ''} of ${sae} · ${p.metric}`;
}

/**
 * "Steer sae-workbench/demo-adhd: #255 add, #255 ablate · sae-workbench/demo-standard: #255 add
 * (carried), #255 replace (carried) · logit:quickly": the panels grouped by the model they steer,
 * so panels that differ only in their model are told apart.
 */
export function steerTitle(panels: readonly { model: string; feature: number; intervention: Intervention; carried: boolean; labels?: FeatureLabels }[], metric: string): string {
  const byModel = new Map<string, string[]>();
  for (const p of panels) byModel.set(p.model, [...(byModel.get(p.model) ?? []), `${featureName(p.feature, p.labels)} ${p.intervention}${p.carried ? ' (carried)' : ''}`]);
  return `Steer ${[...byModel].map(([model, items]) => `${model}: ${items.join(', ')}`).join(' · ')} · ${metric}`;
}

export function swapTitle(p: { mode: SwapSettings['mode']; hook?: string; metric: string }, modelA: string, modelB: string): string {
  return `Swap ${modelA} → ${modelB} (${p.mode}${p.hook ? ` at ${p.hook}` : ''}) · ${p.metric}`;
}

export function probeTitle(p: { condition: string; probes: readonly unknown[] }, models: readonly string[]): string {
  const distinct = [...new Set(models)];
  return `Probe ${p.condition} · ${p.probes.length} probe${p.probes.length > 1 ? 's' : ''} on ${distinct.join(', ')}`;
}
