import type { JobView, PromptModelOption, PromptSaeOption, PromptSources } from '../../preload/api';
import { PROMPT_MAX_CHARS } from '../../preload/api';
import { readyDemoBundle } from '../demo/demoBundle';
import { DEMO_JOB_KIND } from '../demo/demoJob';
import { DEFAULT_DEMO_MODEL_SPEC } from '../demo/demoModels';
import { DEMO_SAE_FEATURES } from '../demo/demoSae';
import { LibraryCatalog } from '../library/libraryCatalog';
import { runPrompt } from '../prompt/promptRun';
import type { HandlerTable } from './handlers';
import type { CoreServices } from './services';

type PromptMethods = 'prompt.sources' | 'prompt.run';

export const promptHandlers: HandlerTable<PromptMethods> = {
  'prompt.sources': (_p, s) => promptSources(s),
  'prompt.run': ({ text, sides, topFeatures, device }) => runPrompt({ text, sides, topFeatures, device }),
};

/** The demo bundle (queued for generation in a worker on first use) plus the Library's models and SAEs. */
function promptSources(s: CoreServices): PromptSources {
  const models: PromptModelOption[] = [];
  const saes: PromptSaeOption[] = [];
  let defaultPair: [string, string] | null = null;
  const demo = readyDemoBundle(s.home);
  let demoJob: JobView | null = null;
  if (demo) {
    const layer = DEFAULT_DEMO_MODEL_SPEC.plantedLayer;
    const hookName = `blocks.${layer}.hook_resid_post`;
    for (const name of ['standard', 'adhd'] as const) {
      models.push({ path: demo.models[name], label: `demo ${name}`, origin: 'demo' });
      saes.push({ path: demo.saes[name], label: `demo ${name} · ${hookName} (constructed)`, modelPath: demo.models[name], hookName, layer, dSae: DEMO_SAE_FEATURES, origin: 'demo' });
    }
    defaultPair = [demo.models.standard, demo.models.adhd];
  } else {
    demoJob = s.jobStore.list().find((j) => j.kind === DEMO_JOB_KIND && (j.state === 'queued' || j.state === 'running')) ?? s.jobs.add(DEMO_JOB_KIND, {}, 20);
  }
  const items = new LibraryCatalog(s.db).items();
  const modelPathById = new Map(items.filter((i) => i.kind === 'model').map((i) => [i.id, i.path]));
  for (const item of items) {
    if (item.kind === 'model' && !models.some((m) => m.path === item.path)) models.push({ path: item.path, label: item.name, origin: 'library' });
    if (item.kind === 'sae' && item.sae && !saes.some((x) => x.path === item.path)) {
      saes.push({
        path: item.path,
        label: `${item.sae.groupModel} · ${item.sae.hookName ?? item.name}`,
        modelPath: item.sae.modelItemId ? (modelPathById.get(item.sae.modelItemId) ?? null) : null,
        hookName: item.sae.hookName,
        layer: item.sae.layer,
        dSae: item.sae.dSae,
        origin: 'library',
      });
    }
  }
  return { models, saes, defaultPair, maxChars: PROMPT_MAX_CHARS, demoJobId: demoJob?.id ?? null };
}
