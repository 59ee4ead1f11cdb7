import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomTransformer } from '../../engine/randomWeights';
import { recognizeTree } from '../../library/recognizeItems';
import { makeTempDir } from '../../testing/tempDirs';
import { errorOf } from '../../testing/workbenchErrors';
import { inspectDirectory } from '../inspect';
import { writeGpt2Directory } from './gpt2Writer';
import { loadModel } from './registry';

const tmp = makeTempDir('config-check');
afterAll(() => tmp.cleanup());

const model = randomTransformer({ nLayers: 4, dModel: 64, nHeads: 4, dVocab: 225, nCtx: 128, seed: 8 });
model.b_U.data.fill(0);

/** A GPT-2 folder whose config.json was edited after the weights were written. */
function withConfig(name: string, edit: Record<string, unknown>): string {
  const dir = path.join(tmp.dir, name);
  writeGpt2Directory(dir, model);
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), ...edit }));
  return dir;
}

describe('config.json against the weights', () => {
  it.each([
    ['n_embd 128 in config, 64 in weights', { n_embd: 128 }, /wte\.weight is \[225, 64\] but config\.json \(vocabulary 225, width 128\) implies \[225, 128\]/],
    ['vocab 50257 in config, 225 in weights', { vocab_size: 50257 }, /wte\.weight is \[225, 64\] but config\.json \(vocabulary 50257, width 64\) implies \[50257, 64\]/],
    ['n_layer 1e9 in config, 4 in weights', { n_layer: 1e9 }, /config\.json says 1000000000 layers but the weights hold 4 \(layer indices 0-3\)/],
    ['n_positions 1024 in config, 128 in weights', { n_positions: 1024 }, /wpe\.weight is \[128, 64\] but config\.json \(context 1024, width 64\) implies \[1024, 64\]/],
  ])('%s: a problem in inspect and the Library, refused at load', (name, edit, problem) => {
    const dir = withConfig(name.replace(/\W+/g, '-'), edit);
    const inspected = inspectDirectory(dir);
    expect(inspected.kind).toBe('model');
    expect(inspected.kind === 'model' && inspected.problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
    expect(inspected.kind === 'model' && inspected.problems.join(' ')).toContain('download the model again');
    const [item] = recognizeTree(dir, { origin: 't', source: () => ({ type: 'local', root: dir }) });
    expect(item.kind).toBe('model');
    expect(item.problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
    expect(errorOf(() => loadModel(dir)).code).toMatch(/^MODEL_WEIGHTS_INVALID$/);
  });

  it('a consistent folder has no problems', () => {
    const dir = withConfig('fine', {});
    const inspected = inspectDirectory(dir);
    expect(inspected.kind === 'model' && inspected.problems).toEqual([]);
  });
});
