import { z } from 'zod';
import { method } from './define';
import { IndexIdSchema } from './ids';

/**
 * Labels and notes on features (what Neuronpedia users call explanations), and the cosine of
 * decoder directions. A label belongs to an SAE's weights, not to a folder: the core keys it by
 * the sha256 of sae_weights.safetensors (main/labels/saeContentKey.ts), so it survives a rescan,
 * a moved or copied folder and an index rebuilt on another dataset, and a retrained SAE (other
 * weights, other features) does not inherit labels meant for different features.
 */

/** A label is a name, shown next to the id wherever a feature is shown; the note holds the rest. */
export const LABEL_MAX_CHARS = 200;
export const NOTE_MAX_CHARS = 4000;
/** Label files larger than this are refused before they are read (a whole-SAE Neuronpedia export of 262k features is ~60 MB). */
export const LABEL_FILE_MAX_BYTES = 128 * 1024 * 1024;
/** Skipped rows listed one by one in an import report; the rest are only counted. */
export const LABEL_IMPORT_LISTED_SKIPS = 200;

export interface FeatureLabel {
  feature: number;
  /** Null when only a note is set. */
  label: string | null;
  note: string | null;
  /** Where it came from: "edited", "import labels.csv", "neuronpedia gpt-4o-mini (oai_token-act-pair)", "demo ground truth". */
  source: string;
  updatedAt: number;
}

/** The SAE a label request is about: a folder, or the SAE an index was built from. */
export interface LabelSaeInfo {
  /** "sha256:<hex of sae_weights.safetensors>". */
  key: string;
  saePath: string;
  dSae: number;
  /** The SAE is part of the generated demo bundle, so its ground-truth labels can be applied (label.applyDemoTruth). */
  demo: boolean;
}

export interface SaeLabels {
  sae: LabelSaeInfo;
  /** Ordered by feature id. */
  labels: FeatureLabel[];
}

export interface LabelSetResult {
  sae: LabelSaeInfo;
  /** The stored label after the change (null when both label and note were cleared). */
  label: FeatureLabel | null;
  /** What was there before, so a caller can undo the change by setting it back. */
  previous: FeatureLabel | null;
}

export interface SkippedLabelRow {
  /** 1-based: the line of a CSV or JSONL file, the item of a JSON array or object. */
  row: number;
  /** The feature id as the file wrote it (null when the row had none). */
  id: string | null;
  reason: string;
}

export interface LabelImportReport {
  sae: LabelSaeInfo;
  file: string;
  /** How the file was read: "csv", "json array", "json object", "jsonl", "neuronpedia". */
  format: string;
  /** Rows with an id and a label (or note) that were read. */
  rows: number;
  /** Labels written (new or changed). */
  set: number;
  /** Of those, features that had a different label before. */
  replaced: number;
  /** Rows whose label and note were already stored as they are. */
  unchanged: number;
  skippedCount: number;
  /** The first LABEL_IMPORT_LISTED_SKIPS skipped rows, each with why. */
  skipped: SkippedLabelRow[];
}

export interface DemoTruthResult {
  /** One entry per demo SAE (standard and adhd). */
  saes: { saePath: string; set: number }[];
}

/** One decoder direction (or vector) in a cosine result. */
export interface DirectionInfo {
  /** "W_dec[255] of demo-adhd/blocks.2.hook_resid_post", "steer_dir in /data/v.safetensors". */
  description: string;
  dIn: number;
  norm: number;
}

export interface DirectionCosine {
  /** cos(a, b) = a·b / (|a| |b|), accumulated in float64 (main/directions/directionCosine.ts). */
  cosine: number;
  a: DirectionInfo;
  b: DirectionInfo;
}

/**
 * THE way a feature is shown with its label: `#255 "step onset"`, or `#255` when unlabelled.
 * Titles, verdicts and tables all go through labelSuffix so the label is added in one way.
 */
export function featureName(feature: number, label?: string | null): string {
  return `#${feature}${labelSuffix(label)}`;
}

/** ` "step onset"` after an id, or '' when there is no label. */
export function labelSuffix(label?: string | null): string {
  return label ? ` "${label}"` : '';
}

const Path = z.string().min(1).max(4096);
const Feature = z.number().int().min(0).max(2 ** 31 - 1);

/** Either an SAE folder or an index (whose SAE is meant). */
const SaeRefShape = { sae: Path.optional(), index: IndexIdSchema.optional() };
const oneSae = (v: { sae?: string; index?: string }) => (v.sae === undefined) !== (v.index === undefined);
const ONE_SAE = { message: 'give exactly one of "sae" (an SAE folder) or "index" (an index id)' };

const DirectionRef = z.union([z.object({ sae: Path, feature: Feature }).strict(), z.object({ file: Path, tensor: z.string().min(1).max(1024).optional() }).strict()]);

export const labelsContract = {
  /** Every label and note of one SAE. */
  'label.list': method<SaeLabels>()(z.object(SaeRefShape).strict().refine(oneSae, ONE_SAE)),
  'label.get': method<FeatureLabel | null>()(z.object({ ...SaeRefShape, feature: Feature }).strict().refine(oneSae, ONE_SAE)),
  /**
   * Set a feature's label (whitespace collapsed; '' clears it). `note` replaces the note when
   * given and keeps it when left out; clearing both removes the entry. Returns the previous value.
   */
  'label.set': method<LabelSetResult>()(
    z.object({ ...SaeRefShape, feature: Feature, label: z.string().max(LABEL_MAX_CHARS * 4), note: z.string().max(NOTE_MAX_CHARS * 2).optional() }).strict().refine(oneSae, ONE_SAE),
  ),
  /** Labels from a JSON (array, id -> label object, Neuronpedia explanations), JSONL or CSV file. */
  'label.import': method<LabelImportReport>()(z.object({ ...SaeRefShape, file: Path }).strict().refine(oneSae, ONE_SAE)),
  /**
   * Apply a demo bundle's ground truth (its SAEs' feature_labels.json) as labels of both its SAEs:
   * the bundle holding `sae`, else the data directory's own. Only when the user asks: the labels
   * name the planted feature the demo teaches the user to find.
   */
  'label.applyDemoTruth': method<DemoTruthResult>()(z.object({ sae: Path.optional() }).strict()),
  /** Cosine of an SAE feature's decoder direction with another feature's or a vector in a safetensors file. */
  'direction.cosine': method<DirectionCosine>()(z.object({ sae: Path, feature: Feature, against: DirectionRef }).strict()),
};
