import { z } from 'zod';
import { method } from './define';
import { ENGINE_DEVICES } from './engine';

/** Longest text the Prompt view runs inline (the core runs it between other requests). */
export const PROMPT_MAX_CHARS = 2000;

export interface PromptModelOption {
  /** Absolute path of the model directory: what prompt.run takes. */
  path: string;
  label: string;
  origin: 'demo' | 'library';
}

export interface PromptSaeOption {
  path: string;
  label: string;
  /** The model directory it belongs to, when known (demo bundle, Library match). */
  modelPath: string | null;
  hookName: string | null;
  layer: number | null;
  dSae: number | null;
  origin: 'demo' | 'library';
}

export interface PromptSources {
  models: PromptModelOption[];
  saes: PromptSaeOption[];
  /** The demo bundle's two models, the default pair. */
  defaultPair: [string, string] | null;
  maxChars: number;
  /** While the demo bundle is being generated (first use): the job doing it; reload when it ends. */
  demoJobId: string | null;
}

export interface PromptFeature {
  feature: number;
  activation: number;
  /** A name from the SAE folder's feature_labels.json (the demo SAEs have one), else null. */
  label: string | null;
}

export interface PromptToken {
  /** Position in the model input (0 is BOS when the model prepends it). */
  position: number;
  id: number;
  text: string;
  /** Firing features, strongest first (at most `topFeatures`). */
  features: PromptFeature[];
}

export interface PromptSideResult {
  modelPath: string;
  modelName: string;
  saePath: string;
  hookName: string;
  dSae: number;
  tokens: PromptToken[];
  /** Largest activation on this side, for colour scaling. */
  maxActivation: number;
  /** Tokens dropped because the text is longer than the model's context. */
  truncatedTokens: number;
  executionProvider: string;
}

export interface PromptRunResult {
  sides: PromptSideResult[];
  elapsedMs: number;
}

const Side = z.object({ modelPath: z.string().min(1).max(4096), saePath: z.string().min(1).max(4096) }).strict();

export const promptContract = {
  /** Models and SAEs the Prompt view can pick from: the demo bundle (generated on first call) and the Library. */
  'prompt.sources': method<PromptSources>()(z.object({}).strict()),
  /** Tokenize, run each model to its SAE's hook, encode, and return per-token top features. */
  'prompt.run': method<PromptRunResult>()(
    z
      .object({
        text: z.string().min(1).max(PROMPT_MAX_CHARS),
        sides: z.array(Side).min(1).max(2),
        topFeatures: z.number().int().min(1).max(32).optional(),
        /** Execution provider choice (default auto: CUDA, WebGPU, then CPU). */
        device: z.enum(ENGINE_DEVICES).optional(),
      })
      .strict(),
  ),
};
