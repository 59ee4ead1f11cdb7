import fs from 'node:fs';
import type { CliCommand } from './command';
import { outputChoice, overwriteOption } from './cliOptions';
import { demoBundleDir, ensureDemoBundle, writeDemoBundle, type DemoGroundTruth } from '../demo/demoBundle';

/** `sae-workbench demo [--out DIR]`: write the demo bundle (or make sure the data directory has it). */
export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'Write the demo bundle (tiny "standard"/"adhd" GPT-2 models, tokenizer, dataset, SAEs).',
  usage: 'sae-workbench demo [--out DIR [--overwrite]] [--json]\n       (without --out: generated once into <home>/demo/v1 and reused; an existing --out folder that is not empty needs --overwrite, which replaces only the bundle\'s files)',
  options: { out: { type: 'string' }, ...overwriteOption, json: { type: 'boolean' } },
  async run({ values }, ctx) {
    const started = Date.now();
    const out = outputChoice(values);
    const paths = out ? writeDemoBundle(out) : ensureDemoBundle(ctx.home);
    const truth = JSON.parse(fs.readFileSync(paths.groundTruth, 'utf8')) as DemoGroundTruth;
    if (values.json) {
      ctx.stdout(JSON.stringify({ paths, figures: truth.figures }, null, 2));
      return 0;
    }
    const f = truth.figures;
    ctx.stdout(`Demo bundle in ${paths.root}${typeof values.out === 'string' || paths.root !== demoBundleDir(ctx.home) ? '' : ' (data directory)'} (${Date.now() - started} ms)`);
    ctx.stdout(`  models:   ${paths.models.standard}\n            ${paths.models.adhd}`);
    ctx.stdout(`  SAEs:     ${paths.saes.standard}\n            ${paths.saes.adhd}`);
    ctx.stdout(`  dataset:  ${paths.dataset}`);
    ctx.stdout(`  planted:  ${truth.hookName} at "${truth.stepToken}" raises "${truth.targetToken}" (direction in ${paths.plantedDirection})`);
    ctx.stdout(
      `  resid·d at "${truth.stepToken}": adhd ${f.adhd.stepProjection.toFixed(2)}, standard ${f.standard.stepProjection.toFixed(2)}; ` +
        `CE nats/token: standard ${f.standard.crossEntropy.toFixed(3)}, adhd ${f.adhd.crossEntropy.toFixed(3)}, bigram ${f.bigramCrossEntropy.toFixed(3)}, unigram ${f.unigramCrossEntropy.toFixed(3)}`,
    );
    return 0;
  },
};
