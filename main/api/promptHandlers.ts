import path from 'node:path';
import type { JobView, PromptRunResult, PromptSources } from '../../preload/api';
import { PROMPT_MAX_CHARS } from '../../preload/api';
import { readyDemoBundle } from '../demo/demoBundle';
import { DEMO_JOB_KIND } from '../demo/demoJob';
import { labelNames } from '../labels/labelLookup';
import { LibraryCatalog } from '../library/libraryCatalog';
import { scanLocalRoot } from '../library/scanLibrary';
import type { PromptRun } from '../prompt/promptRun';
import { describePromptResult, promptOptions } from '../prompt/promptSources';
import type { HandlerTable } from './handlers';
import type { CoreServices } from './services';

type PromptMethods = 'prompt.sources' | 'prompt.run';

export const promptHandlers: HandlerTable<PromptMethods> = {
  'prompt.sources': (_p, s) => promptSources(s),
  // Loading weights and running the models happen in the interactive worker, never on the core's event loop.
  'prompt.run': async ({ text, sides, topFeatures, device }, s) => withLabels(describePromptResult(await s.interactive.request<PromptRun>('prompt.run', { text, sides, topFeatures, device }), libraryWithDemo(s)), s),
};

/** The user's labels (main/labels) on every feature a result shows; files beside the SAE are never read for them. */
async function withLabels(result: PromptRunResult, s: CoreServices): Promise<PromptRunResult> {
  const sides = await Promise.all(
    result.sides.map(async (side) => {
      const names = await labelNames(s.db, side.saePath);
      const label = (f: number) => names.get(f) ?? null;
      return {
        ...side,
        tokens: side.tokens.map((t) => ({ ...t, features: t.features.map((f) => ({ ...f, label: label(f.feature) })) })),
        tracked: side.tracked.map((t) => ({ ...t, label: label(t.feature) })),
      };
    }),
  );
  return { ...result, sides };
}

/**
 * The Library's items, with the generated demo bundle among them even before (or after the user
 * removed) its folder in the Library: recognising its few files takes milliseconds.
 */
export function libraryWithDemo(s: CoreServices) {
  const catalog = new LibraryCatalog(s.db);
  const demo = readyDemoBundle(s.home);
  const listed = demo && catalog.roots().some((r) => r.path === path.resolve(demo.root));
  return catalog.items(demo && !listed ? scanLocalRoot(demo.root) : []);
}

/** The Library's models and SAEs, the demo bundle among them (queued for generation in a worker on first use). */
function promptSources(s: CoreServices): PromptSources {
  let demoJob: JobView | null = null;
  if (!readyDemoBundle(s.home)) {
    demoJob = s.jobStore.list().find((j) => j.kind === DEMO_JOB_KIND && (j.state === 'queued' || j.state === 'running')) ?? s.jobs.add(DEMO_JOB_KIND, {}, 20);
  }
  return { ...promptOptions(libraryWithDemo(s)), maxChars: PROMPT_MAX_CHARS, demoJobId: demoJob?.id ?? null };
}
