/** The "Evaluate SAE" job kind: any sae_lens SAE judged by the same held-out metrics and gates as training. */
import { saeLabelOfFolder } from '../library/identity';
import { defineJobKind } from '../jobs/kind';
import { EVAL_SAE_KIND, EvalSaeParamsSchema, type EvalSaeParams } from '../../preload/contract/train';

export const evalSaeJob = defineJobKind<EvalSaeParams>({
  kind: EVAL_SAE_KIND,
  description: 'Evaluate an SAE on held-out tokens: FVE, L0, dead %, L2 ratio, CE-loss and KL scores (splicing it into the model), and the quality gates.',
  params: EvalSaeParamsSchema,
  title: (p) => `Evaluate ${saeLabelOfFolder(p.sae)}`,
  resource: (p) => (p.device === 'cpu' ? 'cpu' : 'gpu'),
  pausable: false,
  async run(ctx, params) {
    const { runEvalSae } = await import('./evalRun');
    return runEvalSae(params, { progress: (f, m) => ctx.progress(f, m), log: (level, m) => ctx.log(level, m) });
  },
});
