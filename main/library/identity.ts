import path from 'node:path';
import type { BundleRef, ItemIdentity, LibraryItem, LibraryItemKind } from '../../preload/api';
import { DEMO_BUNDLE_MANIFEST, readDemoBundleManifest } from '../demo/bundleManifest';
import { hubCachePathOf } from '../formats/hubCachePath';
import { readModelConfig } from '../formats/models/registry';
import { readSaeConfig } from '../formats/saeConfig';
import { looksLikeCrosscoderFolder, readCrosscoderConfig } from '../formats/crosscoder';

/**
 * THE display identity of models, SAEs, datasets and result files, derived here once and shown
 * everywhere (Library, Prompt pickers and result headers, `library --json`, `inspect`). The rule
 * reads only the path and facts the config states, so a folder is called the same whether the
 * Library found it or `inspect` was pointed at it.
 */

/** What a config says that names an item. */
export interface IdentityFacts {
  /** A model config's own name (`_name_or_path`, TransformerLens `model_name`). */
  configName?: string | null;
  /** An SAE cfg's `model_name`. */
  saeModelName?: string | null;
}

/** Folders named only by the hook they read (`blocks.2.hook_resid_post`, `hook_resid_pre`) say nothing about the model. */
const BARE_HOOK = /^(?:blocks\.\d+\.)?hook_[A-Za-z0-9_.]+$/;

/** The label rule (before clashes are resolved): HF repo + subfolder, else what the config names, else the folder name. */
export function identityLabel(kind: LibraryItemKind, itemPath: string, facts: IdentityFacts = {}): string {
  const hub = hubCachePathOf(itemPath);
  if (hub) return hub.pathInRepo ? `${hub.repoId}/${hub.pathInRepo}` : hub.repoId;
  const base = path.basename(itemPath);
  if (kind === 'model' && facts.configName) return facts.configName;
  if (kind === 'sae' && BARE_HOOK.test(base)) return `${facts.saeModelName || path.basename(path.dirname(itemPath))}/${base}`;
  return base;
}

/** What an SAE's label adds to its name, so that two SAEs of one model and hook read apart. */
export interface SaeLabelFacts {
  dSae: number | null;
  k: number | null;
  architecture: string | null;
  /** cfg metadata `trained_with` ("sae-workbench" for SAEs this app trained). */
  trainedWith: string | null;
}

/** A trained SAE's default place: <home>/runs/<job-id>/saes/<hook>. */
const RUN_SAE = /[/\\]runs[/\\]([^/\\]+)[/\\]saes[/\\][^/\\]+$/;

/**
 * Where an SAE comes from, when its name does not say it: the demo bundle's constructed SAEs,
 * SAEs trained here (the job, or the run's output folder). null for Hub SAEs (the name is the
 * repo) and other folders (the name is the folder's).
 */
export function saeOrigin(saePath: string, bundle: BundleRef | null, trainedWith: string | null): string | null {
  if (bundle) return bundle.member.startsWith('saes/') ? 'demo, constructed' : 'demo';
  if (trainedWith !== 'sae-workbench') return null;
  const run = RUN_SAE.exec(saePath);
  return run ? `trained here, job ${run[1]}` : `trained with SAE Workbench, run ${path.basename(path.dirname(saePath))}`;
}

/**
 * THE label of an SAE, the same in every picker, table, title and verdict: its name (identityLabel),
 * its origin when the name does not tell it, its width and k (or its architecture when it has no k):
 * "demo-adhd/blocks.2.hook_resid_post (demo, constructed) · 256 features · k 8" and
 * "sae-workbench/demo-adhd/blocks.2.hook_resid_post (trained here, job 20250612-1a2b3c4d) · 256 features · k 8".
 */
export function saeIdentityLabel(saePath: string, facts: IdentityFacts & SaeLabelFacts, bundle: BundleRef | null): string {
  const origin = saeOrigin(saePath, bundle, facts.trainedWith);
  const shape = [facts.dSae != null ? `${facts.dSae.toLocaleString('en-US')} features` : null, facts.k != null ? `k ${facts.k}` : facts.architecture].filter(Boolean);
  return [`${identityLabel('sae', saePath, facts)}${origin ? ` (${origin})` : ''}`, ...shape].join(' · ');
}

/** cfg.json's `trained_with`, nested (v6 `metadata` / `meta`) or flat. */
export function trainedWithOf(cfg: unknown): string | null {
  const c = (cfg ?? {}) as Record<string, unknown>;
  const nested = [c.metadata, c.meta].find((m) => m && typeof m === 'object') as Record<string, unknown> | undefined;
  const v = nested?.trained_with ?? c.trained_with;
  return typeof v === 'string' ? v : null;
}

/**
 * The label of an SAE folder read on its own (a job title, an index, `inspect`), by the same
 * rule as the Library's: its cfg gives the width, k and origin, a demo bundle above it is found.
 * An unreadable cfg leaves the name alone.
 */
export function saeLabelOfFolder(dir: string): string {
  if (looksLikeCrosscoderFolder(dir)) {
    try {
      const c = readCrosscoderConfig(dir);
      return crosscoderIdentityLabel(dir, { modelNameA: c.modelA, modelNameB: c.modelB, dSae: c.dSae, k: c.k });
    } catch {
      return identityLabel('crosscoder', dir);
    }
  }
  const bundle = new BundleFinder().find(dir);
  try {
    const cfg = readSaeConfig(dir);
    return saeIdentityLabel(dir, { saeModelName: cfg.modelName, dSae: cfg.dSae, k: cfg.k, architecture: cfg.architecture, trainedWith: trainedWithOf(cfg.raw) }, bundle);
  } catch {
    return identityLabel('sae', dir);
  }
}

/** A model folder's label read on its own (job titles): what its config names it, else the folder. */
export function modelLabelOfFolder(dir: string): string {
  try {
    return identityLabel('model', dir, { configName: readModelConfig(dir).config.name });
  } catch {
    return identityLabel('model', dir);
  }
}

/** Demo bundles found at or above item paths; one manifest read per folder. */
class BundleFinder {
  private readonly manifests = new Map<string, ReturnType<typeof readDemoBundleManifest>>();

  find(itemPath: string): BundleRef | null {
    // The deepest demo item (saes/<variant>/<hook>) sits three folders below the bundle root.
    let dir = itemPath;
    for (let up = 0; up <= 3; up++) {
      const manifest = this.manifest(dir);
      if (manifest) {
        const member = path.relative(dir, itemPath).split(path.sep).join('/');
        return { kind: 'demo', version: manifest.version, root: dir, label: `Demo bundle v${manifest.version}`, member, alsoAt: [] };
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    return null;
  }

  private manifest(dir: string) {
    if (!this.manifests.has(dir)) this.manifests.set(dir, readDemoBundleManifest(dir));
    return this.manifests.get(dir)!;
  }
}

function factsOf(item: LibraryItem): IdentityFacts {
  return { configName: item.model?.configName ?? null, saeModelName: item.sae?.modelName ?? null };
}

function sourceDetail(item: LibraryItem, bundle: BundleRef | null): string {
  if (bundle) return `${bundle.label} · ${bundle.root}`;
  const s = item.source;
  if (s.type === 'hub') return `HF ${s.repoType} ${s.repoId} @ ${s.refs.length ? s.refs.join(', ') : s.commit.slice(0, 8)}`;
  const hub = hubCachePathOf(item.path);
  if (hub) return `HF ${hub.repoType} ${hub.repoId} @ ${hub.commit.slice(0, 8)}`;
  return `${item.kind === 'model' || item.kind === 'sae' || item.kind === 'crosscoder' ? 'folder' : 'file'} ${item.path}`;
}

function keyOf(item: LibraryItem, bundle: BundleRef | null): string {
  if (bundle) return `demo:v${bundle.version}:${bundle.member}`;
  const hub = item.source.type === 'hub' ? item.source : hubCachePathOf(item.path);
  if (hub) return `hub:${hub.repoType}:${hub.repoId}@${hub.commit}:${hub.pathInRepo}`;
  return `path:${item.path}`;
}

/**
 * `crosscoder demo-standard ↔ demo-adhd · 256 latents · k 8 (<folder>)`: both models and the size,
 * then the folder (a job's own folder, named "crosscoder", by its run's folder).
 */
export function crosscoderIdentityLabel(dir: string, c: { modelNameA: string | null; modelNameB: string | null; dSae: number | null; k: number | null }): string {
  const base = path.basename(dir);
  const folder = base === 'crosscoder' ? `${path.basename(path.dirname(dir))}/${base}` : base;
  const models = c.modelNameA && c.modelNameB ? `${c.modelNameA} ↔ ${c.modelNameB}` : 'models unknown';
  return `crosscoder ${models}${c.dSae ? ` · ${c.dSae} latents` : ''}${c.k ? ` · k ${c.k}` : ''} (${folder})`;
}

/** The identity of one item on its own (no clash resolution): for callers outside the Library. */
export function identityOf(item: LibraryItem, finder = new BundleFinder()): ItemIdentity {
  const bundle = finder.find(item.path);
  const s = item.kind === 'sae' ? item.sae : null;
  const c = item.kind === 'crosscoder' ? item.crosscoder : null;
  const label = s
    ? saeIdentityLabel(item.path, { ...factsOf(item), dSae: s.dSae, k: s.k, architecture: s.architecture, trainedWith: s.trainedWith ?? null }, bundle)
    : c
      ? crosscoderIdentityLabel(item.path, c)
      : identityLabel(item.kind, item.path, factsOf(item));
  return { label, detail: sourceDetail(item, bundle), key: keyOf(item, bundle), bundle };
}

/** A placeholder until the catalog derives the real identity (recognition runs before the whole Library is known). */
export function pendingIdentity(itemPath: string): ItemIdentity {
  return { label: path.basename(itemPath), detail: itemPath, key: `path:${itemPath}`, bundle: null };
}

export interface IdentityOptions {
  /** Added folders in the order they were added: the earliest copy of a demo bundle is the one listed. */
  rootOrder?: string[];
}

/**
 * Give every item its identity, list each thing once, and make labels unique:
 * - the same path reached twice (a folder added inside another, or inside the HF cache) is one item;
 * - copies of the demo bundle (generated into the data directory and again elsewhere) are one
 *   labelled group, listed from the earliest added folder, the others named in `bundle.alsoAt`;
 * - two different items with the same label get the distinguishing tail of their folder appended.
 */
export function withIdentities(items: LibraryItem[], options: IdentityOptions = {}): LibraryItem[] {
  const finder = new BundleFinder();
  const seenPaths = new Set<string>();
  const unique = items.filter((i) => (seenPaths.has(i.path) ? false : (seenPaths.add(i.path), true)));
  let out = unique.map((item) => ({ ...item, identity: identityOf(item, finder) }));

  const copies = new Map<number, Set<string>>();
  for (const i of out) if (i.identity.bundle) copies.set(i.identity.bundle.version, (copies.get(i.identity.bundle.version) ?? new Set()).add(i.identity.bundle.root));
  const rank = (root: string) => {
    const r = (options.rootOrder ?? []).findIndex((added) => root === added || root.startsWith(`${added}${path.sep}`));
    return r < 0 ? Number.MAX_SAFE_INTEGER : r;
  };
  const kept = new Map<number, { root: string; alsoAt: string[] }>();
  for (const [version, roots] of copies) {
    const sorted = [...roots].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    kept.set(version, { root: sorted[0], alsoAt: sorted.slice(1) });
  }
  out = out
    // The bundle's manifest is how it is recognised, not a result to open.
    .filter((i) => i.identity.bundle?.member !== DEMO_BUNDLE_MANIFEST)
    .filter((i) => !i.identity.bundle || kept.get(i.identity.bundle.version)!.root === i.identity.bundle.root)
    .map((i) => (i.identity.bundle ? { ...i, identity: { ...i.identity, bundle: { ...i.identity.bundle, alsoAt: kept.get(i.identity.bundle.version)!.alsoAt } } } : i));

  return resolveClashes(out);
}

/** Items of one kind sharing a label: append the shortest tail of their parent folder that tells them apart. */
function resolveClashes(items: LibraryItem[]): LibraryItem[] {
  const groups = new Map<string, LibraryItem[]>();
  for (const i of items) groups.set(`${i.kind}\0${i.identity.label}`, [...(groups.get(`${i.kind}\0${i.identity.label}`) ?? []), i]);
  const renamed = new Map<string, string>();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const parents = group.map((i) => path.dirname(i.path).split(path.sep).filter(Boolean));
    const longest = Math.max(...parents.map((p) => p.length));
    for (let n = 1; n <= longest; n++) {
      const tails = parents.map((p) => p.slice(-n).join('/'));
      if (new Set(tails).size === tails.length || n === longest) {
        group.forEach((i, j) => renamed.set(i.id, `${i.identity.label} (${tails[j] || '/'})`));
        break;
      }
    }
  }
  return items.map((i) => (renamed.has(i.id) ? { ...i, identity: { ...i.identity, label: renamed.get(i.id)! } } : i));
}
