import { z } from 'zod';
import { defineJobKind } from '../jobs/kind';
import { DEMO_JOB_KIND } from '../../preload/contract/identity';

export { DEMO_JOB_KIND };

/**
 * Generate the demo bundle into <home>/demo/v<N> in a worker process (a few seconds of float64
 * math that must not stall the core). Nothing to checkpoint: a rerun regenerates from the seed.
 */
export const demoBundleJob = defineJobKind({
  kind: DEMO_JOB_KIND,
  description: 'Generate the demo bundle: tiny "standard"/"adhd" GPT-2 models with a planted mechanism, tokenizer, dataset, SAEs.',
  params: z.object({}).strict(),
  title: () => 'Generate the demo bundle',
  resource: 'cpu',
  pausable: false,
  maxAttempts: 2,
  async run(ctx) {
    const { ensureDemoBundle } = await import('./demoBundle');
    ctx.progress(null, 'building models and SAEs');
    const paths = ensureDemoBundle(ctx.home);
    ctx.log('info', `Demo bundle ready in ${paths.root}`);
    ctx.progress(1, 'done');
    return paths;
  },
});
