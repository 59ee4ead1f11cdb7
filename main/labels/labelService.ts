/**
 * What the API and the CLI do with labels: find the SAE a request means (a folder or an index's
 * SAE) and its key, then read, set, import or apply the demo's ground truth through the store.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DemoTruthResult, FeatureLabel, LabelImportReport, LabelSaeInfo, LabelSetResult, SaeLabels } from '../../preload/api';
import type { Db } from '../db/connection';
import { DEMO_BUNDLE_VERSION, demoBundlePaths, readyDemoBundle } from '../demo/demoBundle';
import { readDemoBundleManifest } from '../demo/bundleManifest';
import { FEATURE_LABELS_FILE } from '../demo/demoSae';
import { WorkbenchError } from '../errors';
import { readSaeConfig } from '../formats/saeConfig';
import { IndexRegistry } from '../index/indexRegistry';
import { FeatureLabelStore, normalizeLabel, normalizeNote } from './featureLabelStore';
import { readLabelFile } from './labelFile';
import { isLabelledWeights, keyFromProvenance, rememberDigest, saeContentKey } from './saeContentKey';

export interface LabelSaeRef {
  sae?: string;
  index?: string;
}

export interface ResolvedLabelSae extends LabelSaeInfo {
  /** The cfg's metadata.neuronpedia_id ("gpt2-small/8-res-jb"), when it names one. */
  neuronpediaId: string | null;
}

/** Labels set by hand (dashboard, `sae-workbench label`). */
export const EDITED_SOURCE = 'edited';
export const DEMO_TRUTH_SOURCE = 'demo ground truth';

/** The demo bundle an SAE folder belongs to (saes/<variant>/<hook> under its root), else null. */
function demoRootOf(saePath: string): string | null {
  const root = path.resolve(saePath, '..', '..', '..');
  return readDemoBundleManifest(root) ? root : null;
}

function neuronpediaIdOf(raw: Record<string, unknown>): string | null {
  const meta = (raw.metadata ?? raw.meta) as Record<string, unknown> | undefined;
  const id = (meta && typeof meta === 'object' ? meta.neuronpedia_id : undefined) ?? raw.neuronpedia_id;
  return typeof id === 'string' && id ? id : null;
}

function requireSaeFolder(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new WorkbenchError('SAE_NOT_FOUND', `There is no SAE folder at ${dir}.`, 'Give the folder holding cfg.json and sae_weights.safetensors (see `sae-workbench library list`).');
  }
  if (!st.isDirectory()) throw new WorkbenchError('SAE_NOT_FOUND', `${dir} is a file, not an SAE folder.`, 'Give the folder holding cfg.json and sae_weights.safetensors, not a file in it.');
}

/** The SAE a label request means, with its key. */
export async function resolveLabelSae(db: Db, ref: LabelSaeRef): Promise<ResolvedLabelSae> {
  if (ref.index !== undefined) {
    const rec = new IndexRegistry(db).require(ref.index);
    let key = keyFromProvenance(rec.provenance.sae);
    if (key) rememberDigest(db, rec.provenance.sae.files.find((f) => isLabelledWeights(f.file))!);
    else key = await saeContentKey(rec.saePath, db);
    let neuronpediaId: string | null = null;
    try {
      neuronpediaId = neuronpediaIdOf(readSaeConfig(rec.saePath).raw);
    } catch {
      // The SAE folder moved or changed since the build: its index still names its features.
    }
    return { key, saePath: rec.saePath, dSae: rec.dSae, demo: demoRootOf(rec.saePath) !== null, neuronpediaId };
  }
  const dir = path.resolve(ref.sae!);
  requireSaeFolder(dir);
  const cfg = readSaeConfig(dir);
  const key = await saeContentKey(dir, db);
  return { key, saePath: dir, dSae: cfg.dSae, demo: demoRootOf(dir) !== null, neuronpediaId: neuronpediaIdOf(cfg.raw) };
}

function info(sae: ResolvedLabelSae): LabelSaeInfo {
  return { key: sae.key, saePath: sae.saePath, dSae: sae.dSae, demo: sae.demo };
}

function requireFeature(sae: ResolvedLabelSae, feature: number): void {
  if (feature >= sae.dSae) {
    throw new WorkbenchError('FEATURE_OUT_OF_RANGE', `Feature ${feature} does not exist in the SAE ${sae.saePath}: it has d_sae ${sae.dSae} (ids 0-${sae.dSae - 1}).`, `Choose a feature from 0 to ${sae.dSae - 1}.`);
  }
}

export async function listLabels(db: Db, ref: LabelSaeRef): Promise<SaeLabels> {
  const sae = await resolveLabelSae(db, ref);
  return { sae: info(sae), labels: new FeatureLabelStore(db).list(sae.key) };
}

export async function getLabel(db: Db, ref: LabelSaeRef, feature: number): Promise<FeatureLabel | null> {
  const sae = await resolveLabelSae(db, ref);
  requireFeature(sae, feature);
  return new FeatureLabelStore(db).get(sae.key, feature);
}

export async function setLabel(db: Db, ref: LabelSaeRef, feature: number, label: string, note?: string): Promise<LabelSetResult> {
  const sae = await resolveLabelSae(db, ref);
  requireFeature(sae, feature);
  const out = new FeatureLabelStore(db).set(sae.key, { feature, label: normalizeLabel(label), note: note === undefined ? undefined : normalizeNote(note) }, EDITED_SOURCE);
  return { sae: info(sae), label: out.label, previous: out.previous };
}

/** Import a label file for one SAE: every usable row is set in one transaction, the rest reported. */
export async function importLabels(db: Db, ref: LabelSaeRef, file: string, source = `import ${path.basename(file)}`): Promise<LabelImportReport> {
  const sae = await resolveLabelSae(db, ref);
  const abs = path.resolve(file);
  const parsed = readLabelFile(abs, { dSae: sae.dSae, neuronpediaId: sae.neuronpediaId });
  const outcomes = new FeatureLabelStore(db).setMany(
    sae.key,
    parsed.rows.map((r) => ({ feature: r.feature, label: r.label, note: r.note, source: r.source ?? source })),
  );
  const set = outcomes.filter((o) => o.changed).length;
  const replaced = outcomes.filter((o) => o.changed && o.previous?.label && o.previous.label !== o.label?.label).length;
  return { sae: info(sae), file: abs, format: parsed.format, rows: parsed.rows.length, set, replaced, unchanged: outcomes.length - set, skippedCount: parsed.skippedCount, skipped: parsed.skipped };
}

/**
 * The demo's ground truth as labels: each demo SAE's feature_labels.json (the construction's name
 * for every feature, the planted one included). Applied to the bundle holding `sae`, else to the
 * data directory's own bundle.
 */
export async function applyDemoTruth(db: Db, home: string, sae?: string): Promise<DemoTruthResult> {
  let root: string | null;
  if (sae !== undefined) {
    root = demoRootOf(path.resolve(sae));
    if (!root) throw new WorkbenchError('NOT_A_DEMO_SAE', `${path.resolve(sae)} is not an SAE of a demo bundle, so it has no ground truth.`, 'Ground-truth labels exist only for the generated demo bundle (Prompt page, or `sae-workbench demo`).');
  } else {
    root = readyDemoBundle(home)?.root ?? null;
    if (!root) throw new WorkbenchError('DEMO_NOT_READY', `There is no demo bundle in ${home} yet.`, 'Open the Prompt page (it generates the demo bundle), or run `sae-workbench demo`.');
  }
  const manifest = readDemoBundleManifest(root);
  if (manifest?.version !== DEMO_BUNDLE_VERSION) throw new WorkbenchError('DEMO_NOT_READY', `The demo bundle in ${root} is version ${manifest?.version ?? '?'}; this app knows version ${DEMO_BUNDLE_VERSION}.`, 'Generate the demo bundle again (Prompt page, or `sae-workbench demo`).');
  const paths = demoBundlePaths(root);
  const saes: DemoTruthResult['saes'] = [];
  for (const dir of [paths.saes.standard, paths.saes.adhd]) {
    const report = await importLabels(db, { sae: dir }, path.join(dir, FEATURE_LABELS_FILE), DEMO_TRUTH_SOURCE);
    saes.push({ saePath: dir, set: report.set });
  }
  return { saes };
}
