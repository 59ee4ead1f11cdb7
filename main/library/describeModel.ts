import path from 'node:path';
import type { ModelSummary } from '../../preload/api';
import { tryReadJsonObject } from '../formats/models/configFields';
import { describeModel, detectModelLoader, modelLoaders } from '../formats/models/registry';
import { elementCount, readSafetensorsHeader } from '../formats/safetensors';
import { readTextFile } from '../formats/openedFile';

/**
 * What the Library shows about a model directory. Formats the app can run are described by their
 * main/formats loader; any other config.json still gets listed from its common fields (GPT-2's
 * n_layer/n_embd, Llama/NeoX's num_hidden_layers/hidden_size) with a note that it cannot run yet.
 */
export function describeModelDirectory(dir: string, files: string[]): { model: ModelSummary; problems: string[] } {
  const described = describeByFormat(dir, files);
  return { ...described, model: { ...described.model, configName: configNameOf(dir) } };
}

/** The model's own name in its config (HF `_name_or_path`, TransformerLens `model_name`): part of its identity. */
export function configNameOf(dir: string): string | null {
  const cfg = tryReadJsonObject(path.join(dir, 'config.json'));
  for (const key of ['_name_or_path', 'model_name', 'name_or_path']) {
    const v = cfg?.[key];
    // A local path written by save_pretrained says where it was saved, not what it is.
    if (typeof v === 'string' && v.trim() && !path.isAbsolute(v) && !v.startsWith('.')) return v.trim();
  }
  return null;
}

function describeByFormat(dir: string, files: string[]): { model: ModelSummary; problems: string[] } {
  const loader = detectModelLoader(dir);
  if (loader) {
    try {
      const d = describeModel(dir, loader);
      const c = d.config;
      return {
        model: { architecture: d.architecture, nLayers: c.nLayers, dModel: c.dModel, nHeads: c.nHeads, dVocab: c.dVocab, nCtx: c.nCtx, params: d.paramCount, weightFormat: weightFormatOf(files) },
        problems: d.problems,
      };
    } catch (err) {
      return { ...describeFromConfigFields(dir, files), problems: [(err as Error).message] };
    }
  }
  const described = describeFromConfigFields(dir, files);
  described.problems.push(`not a model format SAE Workbench can run yet (supported: ${modelLoaders.map((l) => l.label).join('; ')})`);
  return described;
}

function weightFormatOf(files: string[]): ModelSummary['weightFormat'] {
  return files.some((f) => f.endsWith('.safetensors')) ? 'safetensors' : files.some((f) => /\.(bin|pt|pth)$/.test(f)) ? 'pytorch' : 'none';
}

function describeFromConfigFields(dir: string, files: string[]): { model: ModelSummary; problems: string[] } {
  const problems: string[] = [];
  let cfg: Record<string, unknown> = {};
  const cfgFile = path.join(dir, 'config.json');
  try {
    const parsed = JSON.parse(readTextFile(cfgFile)) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) cfg = parsed as Record<string, unknown>;
    else problems.push(`${cfgFile} is not a JSON object`);
  } catch (err) {
    problems.push(`${cfgFile} cannot be read: ${(err as Error).message}`);
  }
  const safetensors = files.filter((f) => f.endsWith('.safetensors'));
  let params: number | null = null;
  for (const f of safetensors) {
    try {
      params = (params ?? 0) + readSafetensorsHeader(path.join(dir, f)).entries.reduce((n, e) => n + elementCount(e.shape), 0);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  const architectures = Array.isArray(cfg.architectures) ? cfg.architectures.filter((a): a is string => typeof a === 'string') : [];
  const isTransformerLens = 'd_model' in cfg && 'n_layers' in cfg;
  return {
    model: {
      architecture: architectures[0] ?? str(cfg.model_type) ?? (isTransformerLens ? 'HookedTransformer' : null),
      nLayers: firstInt(cfg, ['n_layer', 'num_hidden_layers', 'n_layers', 'num_layers']),
      dModel: firstInt(cfg, ['n_embd', 'hidden_size', 'd_model']),
      nHeads: firstInt(cfg, ['n_head', 'num_attention_heads', 'n_heads']),
      dVocab: firstInt(cfg, ['vocab_size', 'd_vocab']),
      nCtx: firstInt(cfg, ['n_positions', 'max_position_embeddings', 'n_ctx']),
      params,
      weightFormat: weightFormatOf(files),
    },
    problems,
  };
}

function firstInt(cfg: Record<string, unknown>, keys: string[]): number | null {
  for (const k of keys) {
    const v = cfg[k];
    if (typeof v === 'number' && Number.isInteger(v)) return v;
  }
  return null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}
