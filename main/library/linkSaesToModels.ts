import path from 'node:path';
import type { CrosscoderSummary, LibraryItem, SaeLinkEvidence, SaeModelLink, SaeSummary } from '../../preload/api';
import { linkEvidenceText } from '../../preload/api';

/** Links the user made by hand: SAE folder -> model folder (absolute paths). */
export type ManualLinks = ReadonlyMap<string, string>;

/**
 * Decide which Library model each SAE belongs to, by the strongest evidence available, and say
 * which in words ("linked by model_name"). In order:
 * 1. manual: the user linked it by hand;
 * 2. model_name: the cfg's model_name names the model (its config name, HF repo or folder);
 * 3. repo_family: both come from the Hub, same owner, and the SAE repo's name stem is part of the
 *    model repo's name (`org/interpgpt-adhd-saes` -> `org/interpgpt-adhd-23M`), or the SAE sits in
 *    the model's own repo;
 * 4. folder_name: a folder named like `adhd_L2_hook_resid_post` names a model (`...-adhd-...`);
 * 5. shape: exactly one model has d_model equal to the SAE's d_in.
 * Every automatic link requires d_in == d_model. Returns new items; the input is not changed.
 */
export function linkSaesToModels(items: LibraryItem[], manual: ManualLinks = new Map()): LibraryItem[] {
  const models = items.filter((i) => i.kind === 'model');
  const byPath = new Map(models.map((m) => [m.path, m]));
  return items.map((item) => {
    if (item.kind === 'crosscoder' && item.crosscoder) return linkCrosscoder(item, item.crosscoder, models, byPath);
    if (item.kind !== 'sae' || !item.sae) return item;
    const link = linkOne(item, item.sae, models, byPath, manual);
    const groupModel = link.modelLabel ?? item.sae.variant ?? 'unknown model';
    return { ...item, sae: { ...item.sae, modelItemId: link.modelItemId, groupModel, link } };
  });
}

/**
 * A crosscoder reads two models: each side is linked by the rules above (its cfg names both
 * models, so model_name decides), with the crosscoder's d_in against each model's d_model.
 */
function linkCrosscoder(item: LibraryItem, cc: CrosscoderSummary, models: LibraryItem[], byPath: Map<string, LibraryItem>): LibraryItem {
  const side = (modelName: string | null): SaeModelLink => {
    const asSae: Omit<SaeSummary, 'link'> = {
      architecture: null, dIn: cc.dIn, dSae: cc.dSae, k: cc.k, hookName: null, layer: null, modelName, variant: null,
      modelItemId: null, groupModel: '', cfgGeneration: null, dtype: null, normalizeActivations: null, hasSparsity: false,
    };
    return linkOne(item, asSae, models, byPath, new Map());
  };
  return { ...item, crosscoder: { ...cc, linkA: side(cc.modelNameA), linkB: side(cc.modelNameB) } };
}

function linkOne(item: LibraryItem, sae: Omit<SaeSummary, 'link'>, models: LibraryItem[], byPath: Map<string, LibraryItem>, manual: ManualLinks): SaeModelLink {
  const fits = (m: LibraryItem) => sae.dIn == null || m.model?.dModel == null || m.model.dModel === sae.dIn;
  const linked = (m: LibraryItem, evidence: SaeLinkEvidence, why: string): SaeModelLink => ({
    modelItemId: m.id,
    modelPath: m.path,
    modelLabel: m.identity.label,
    evidence,
    reason: `${linkEvidenceText(evidence)}${why ? `: ${why}` : ''}`,
  });

  const chosen = manual.get(item.path);
  if (chosen) {
    const m = byPath.get(chosen);
    if (m) return linked(m, 'manual', fits(m) ? '' : `d_in ${sae.dIn} ≠ d_model ${m.model?.dModel}, so it cannot run on this model`);
  }

  if (sae.modelName) {
    const wanted = normalizedNames(sae.modelName);
    const named = models.filter((m) => modelNames(m).some((n) => wanted.includes(n)));
    const m = named.find(fits);
    if (m) return linked(m, 'model_name', `cfg model_name "${sae.modelName}"`);
  }
  // A cfg that names its model is the authority: weaker evidence must not tie it to another one.
  if (!sae.modelName) {
    const weak = weakerEvidence(item, sae, models, fits, linked);
    if (weak) return weak;
  }

  const sameWidth = sae.dIn == null ? [] : models.filter((m) => m.model?.dModel === sae.dIn);
  const named = sae.modelName ? `its cfg names "${sae.modelName}", which is not in the Library` : 'its cfg names no model';
  const width =
    sae.dIn == null
      ? 'its width is unknown'
      : sameWidth.length === 0
        ? `no model in the Library has d_model ${sae.dIn}`
        : `${sameWidth.length} model(s) have d_model ${sae.dIn}: link it by hand`;
  return { modelItemId: null, modelPath: null, modelLabel: sae.modelName, evidence: null, reason: `not linked: ${named}; ${width}` };
}

/** Repo family, then folder name, then shape: for SAEs whose cfg names no model. */
function weakerEvidence(
  item: LibraryItem,
  sae: Omit<SaeSummary, 'link'>,
  models: LibraryItem[],
  fits: (m: LibraryItem) => boolean,
  linked: (m: LibraryItem, evidence: SaeLinkEvidence, why: string) => SaeModelLink,
): SaeModelLink | null {
  const family = repoFamilyMatch(item, models.filter(fits));
  if (family) return linked(family, 'repo_family', `${(item.source as { repoId: string }).repoId} and ${family.identity.label}`);
  if (sae.variant) {
    const variant = sae.variant.toLowerCase();
    const m = models.filter((x) => modelNames(x).some((n) => tokens(n).includes(variant))).find(fits);
    if (m) return linked(m, 'folder_name', `"${sae.variant}" in ${item.name}`);
  }
  const sameWidth = sae.dIn == null ? [] : models.filter((m) => m.model?.dModel === sae.dIn);
  if (sameWidth.length === 1) return linked(sameWidth[0], 'shape', `d_in ${sae.dIn} = d_model, the only model of that width`);
  return null;
}

/** TransformerLens names for models whose HF repo is called otherwise. */
const ALIASES: Record<string, string> = { 'gpt2-small': 'gpt2' };

/** A name in the forms it may be written: "org/Name-23M" -> ["org/name-23m", "name-23m"], plus aliases. */
function normalizedNames(name: string): string[] {
  const lower = name.toLowerCase();
  const base = lower.split('/').pop()!;
  return [lower, base, ...(ALIASES[base] ? [ALIASES[base]] : [])];
}

function modelNames(m: LibraryItem): string[] {
  const names = [m.name, path.basename(m.path), m.identity.label, ...(m.model?.configName ? [m.model.configName] : [])];
  if (m.source.type === 'hub') names.push(m.source.repoId);
  return [...new Set(names.flatMap(normalizedNames))];
}

function tokens(name: string): string[] {
  return name.split(/[-_/.\s]+/).filter(Boolean);
}

/** Words that name the kind of artefact, not the model family, in SAE repo names. */
const SAE_WORDS = new Set(['sae', 'saes', 'sparse', 'autoencoder', 'autoencoders', 'dictionary', 'dictionaries', 'transcoder', 'transcoders', 'crosscoder', 'crosscoders', 'res', 'resid', 'jb', 'topk', 'phase1', 'phase2', 'phase3', 'phase4', 'phase5']);

/** The one Hub model of the SAE repo's family; null when none or several fit equally well. */
function repoFamilyMatch(item: LibraryItem, candidates: LibraryItem[]): LibraryItem | null {
  if (item.source.type !== 'hub') return null;
  const [owner, name] = splitRepo(item.source.repoId);
  const stem = tokens(name.toLowerCase()).filter((t) => !SAE_WORDS.has(t));
  const scored: { m: LibraryItem; score: number }[] = [];
  for (const m of candidates) {
    if (m.source.type !== 'hub') continue;
    if (m.source.repoId === item.source.repoId) return m;
    const [mOwner, mName] = splitRepo(m.source.repoId);
    if (mOwner.toLowerCase() !== owner.toLowerCase() || stem.length === 0) continue;
    const mTokens = tokens(mName.toLowerCase());
    if (stem.every((t) => mTokens.includes(t))) scored.push({ m, score: stem.length / mTokens.length });
  }
  const best = Math.max(...scored.map((s) => s.score));
  const top = scored.filter((s) => s.score === best);
  return top.length === 1 ? top[0].m : null;
}

function splitRepo(repoId: string): [string, string] {
  const i = repoId.indexOf('/');
  return i < 0 ? ['', repoId] : [repoId.slice(0, i), repoId.slice(i + 1)];
}
