import path from 'node:path';
import type { LibraryItem } from '../../preload/api';

/**
 * Decide which Library model each SAE belongs to and the key it is grouped under. The cfg's
 * model_name wins when it names a model in the Library; otherwise the folder's variant
 * (`adhd_L2_...`) is matched against model names (`interpgpt-adhd-23M`), preferring models whose
 * d_model equals the SAE's d_in. Returns new items; the input is not changed.
 */
export function linkSaesToModels(items: LibraryItem[]): LibraryItem[] {
  const models = items.filter((i) => i.kind === 'model');
  return items.map((item) => {
    if (item.kind !== 'sae' || !item.sae) return item;
    const sae = item.sae;
    const fits = (m: LibraryItem) => sae.dIn == null || m.model?.dModel == null || m.model.dModel === sae.dIn;
    let match: LibraryItem | undefined;
    if (sae.modelName) {
      const wanted = sae.modelName.toLowerCase();
      match = models.find((m) => modelNames(m).includes(wanted) && fits(m));
    }
    if (!match && sae.variant) {
      const variant = sae.variant.toLowerCase();
      const candidates = models.filter((m) => modelNames(m).some((n) => tokens(n).includes(variant)));
      match = candidates.find(fits) ?? candidates[0];
    }
    const groupModel = match ? match.name : (sae.modelName ?? sae.variant ?? 'unknown model');
    return { ...item, sae: { ...sae, modelItemId: match?.id ?? null, groupModel } };
  });
}

function modelNames(m: LibraryItem): string[] {
  const names = [m.name.toLowerCase(), path.basename(m.path).toLowerCase()];
  if (m.source.type === 'hub') names.push(m.source.repoId.toLowerCase(), m.source.repoId.split('/').pop()!.toLowerCase());
  return names;
}

function tokens(name: string): string[] {
  return name.split(/[-_/.\s]+/).filter(Boolean);
}
