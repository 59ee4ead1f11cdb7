import type { LibraryItem, PromptModelOption, PromptRunResult, PromptSaeOption, PromptSideChoice, PromptSources } from '../../preload/api';
import type { PromptRun } from './promptRun';

/**
 * What the Prompt view offers, named by the Library's identities: every model and SAE once (the
 * demo bundle as one group), each SAE with the model it is linked to and why, and the first-visit
 * choice (demo "standard" on side A, demo "adhd" on side B, each with its own SAE).
 */
export function promptOptions(items: LibraryItem[]): Pick<PromptSources, 'models' | 'saes' | 'defaults'> {
  const origin = (i: LibraryItem): 'demo' | 'library' => (i.identity.bundle ? 'demo' : 'library');
  const models: PromptModelOption[] = items
    .filter((i) => i.kind === 'model' && i.problems.length === 0)
    .map((i) => ({ path: i.path, label: i.identity.label, detail: i.identity.detail, dModel: i.model?.dModel ?? null, group: i.identity.bundle?.label ?? 'Library', origin: origin(i) }));
  const saes: PromptSaeOption[] = items
    .filter((i) => i.kind === 'sae' && i.sae)
    .map((i) => {
      const s = i.sae!;
      return {
        path: i.path,
        label: i.identity.label,
        detail: i.identity.detail,
        dIn: s.dIn,
        dSae: s.dSae,
        architecture: s.architecture,
        k: s.k,
        hookName: s.hookName,
        layer: s.layer,
        modelPath: s.link.modelPath,
        linkReason: s.link.reason,
        origin: origin(i),
      };
    });
  // Demo models first, so the bundle heads every picker.
  models.sort((a, b) => Number(b.origin === 'demo') - Number(a.origin === 'demo'));
  return { models, saes, defaults: defaultChoice(items, saes) };
}

function defaultChoice(items: LibraryItem[], saes: PromptSaeOption[]): PromptSources['defaults'] {
  const sideFor = (model: LibraryItem | undefined, layer?: number | null): PromptSideChoice | null => {
    if (!model) return null;
    const own = saes.filter((s) => s.modelPath === model.path);
    const sae = own.find((s) => layer == null || s.layer === layer) ?? own[0];
    return sae ? { modelPath: model.path, saePath: sae.path } : null;
  };
  const demoModel = (member: string) => items.find((i) => i.kind === 'model' && i.identity.bundle?.member === member);
  let a = sideFor(demoModel('models/standard'));
  let b = sideFor(demoModel('models/adhd'), a && saes.find((s) => s.path === a!.saePath)?.layer);
  if (!a || !b) {
    // No demo bundle: the first two models that have SAEs of their own.
    const withSaes = items.filter((i) => i.kind === 'model' && saes.some((s) => s.modelPath === i.path));
    a = sideFor(withSaes[0]);
    b = sideFor(withSaes[1] ?? withSaes[0], a && saes.find((s) => s.path === a!.saePath)?.layer);
  }
  return a && b ? { a, b } : null;
}

/**
 * Name both sides of a result as the Library does and say what is off with the pairing the user
 * chose: an SAE linked to another model (its features were learned on other activations), or an
 * SAE with no known model.
 */
export function describePromptResult(result: PromptRun, items: LibraryItem[]): PromptRunResult {
  const byPath = new Map(items.map((i) => [i.path, i]));
  return {
    ...result,
    sides: result.sides.map((side) => {
      const model = byPath.get(side.modelPath);
      const sae = byPath.get(side.saePath);
      const modelLabel = model?.identity.label ?? side.modelName;
      const saeLabel = sae?.identity.label ?? side.saePath;
      const warnings: string[] = [];
      const link = sae?.sae?.link;
      if (link?.modelPath && link.modelPath !== side.modelPath) {
        warnings.push(`The SAE ${saeLabel} belongs to ${link.modelLabel} (${link.reason}), not to ${modelLabel}: it runs because the widths match, but its features were learned on the other model's activations.`);
      } else if (link && !link.modelPath) {
        warnings.push(`The SAE ${saeLabel} is not linked to ${modelLabel} (${link.reason}); check it was trained on this model, or link it in the Library.`);
      }
      return { ...side, modelLabel, saeLabel, warnings };
    }),
  };
}
