/** Every model format SAE Workbench reads; the first loader whose detect() accepts a folder wins. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WorkbenchError } from '../../errors';
import type { TransformerWeights } from '../transformer';
import { configPath, tryReadJsonObject } from './configFields';
import { gpt2Loader } from './gpt2';
import { gptNeoxLoader } from './gptNeox';
import { hookedTransformerLoader } from './hookedTransformer';
import { llamaLoader } from './llama';
import { nonFiniteProblem, requireFiniteWeights } from '../finiteValues';
import { configWeightProblems } from './configCheck';
import type { ModelDescription, ModelLoader } from './modelLoader';
import { findWeightFiles, openWeightSource } from './weightSource';

export const modelLoaders: readonly ModelLoader[] = [gpt2Loader, hookedTransformerLoader, gptNeoxLoader, llamaLoader];

/** The loader for a folder, or null when none recognises it (never throws on foreign folders). */
export function detectModelLoader(dir: string): ModelLoader | null {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return null;
  return modelLoaders.find((l) => l.detect(dir)) ?? null;
}

function requireLoader(dir: string): ModelLoader {
  const loader = detectModelLoader(dir);
  if (loader) return loader;
  if (!existsSync(dir)) throw new WorkbenchError('MODEL_NOT_FOUND', `${dir}: does not exist.`, 'Check the path, or download the model first.');
  const cfg = tryReadJsonObject(configPath(dir));
  const what = !existsSync(configPath(dir))
    ? 'has no config.json'
    : !cfg
      ? 'has a config.json that is not a JSON object'
      : typeof cfg.model_type === 'string'
        ? `holds a "${cfg.model_type}" model`
        : 'has a config.json in no known model format';
  throw new WorkbenchError(
    'MODEL_FORMAT_UNKNOWN',
    `${dir}: ${what}; supported formats: ${modelLoaders.map((l) => l.label).join('; ')}.`,
    'Choose a folder holding a supported model (for the Hub, the snapshot folder with config.json).',
  );
}

/** Configs and safetensors headers only: what the Library shows, without loading weights. */
export function readModelConfig(dir: string): ModelDescription {
  return requireLoader(dir).describe(dir);
}

/**
 * What inspect and the Library show: the description plus its problems (config.json against the
 * weight shapes, NaN or infinite weights; the latter scan is done once per file and cached).
 */
export function describeModel(dir: string, loader: ModelLoader = requireLoader(dir)): ModelDescription & { problems: string[] } {
  const d = loader.describe(dir);
  const problems = configWeightProblems(d.config, openWeightSource(dir).entries.values());
  for (const f of d.weightFiles) {
    const p = nonFiniteProblem(join(dir, f));
    if (p) problems.push(p);
  }
  return { ...d, problems };
}

/** The canonical weights, whatever format the folder holds; NaN or infinite weights are refused first. */
export function loadModel(dir: string): TransformerWeights {
  const loader = requireLoader(dir);
  for (const f of findWeightFiles(dir) ?? []) requireFiniteWeights(join(dir, f), 'model');
  return loader.load(dir);
}
