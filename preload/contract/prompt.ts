import { z } from 'zod';
import { method } from './define';
import { ENGINE_DEVICES } from './engine';

/** Longest text the Prompt view runs inline (the core runs it between other requests). */
export const PROMPT_MAX_CHARS = 2000;

export interface PromptModelOption {
  /** Absolute path of the model directory: what prompt.run takes. */
  path: string;
  /** The model's identity label (contract/identity.ts), as everywhere else. */
  label: string;
  /** Where it comes from, to tell look-alikes apart. */
  detail: string;
  dModel: number | null;
  /** The picker group: "Demo bundle v1" or "Library". */
  group: string;
  origin: 'demo' | 'library';
}

export interface PromptSaeOption {
  path: string;
  /** The SAE's identity label. */
  label: string;
  detail: string;
  /** Width it reads: only models with this d_model can run it. */
  dIn: number | null;
  dSae: number | null;
  architecture: string | null;
  k: number | null;
  hookName: string | null;
  layer: number | null;
  /** The model directory it is linked to, when one is (see linkReason). */
  modelPath: string | null;
  /** "linked by model_name: ...", or why it is not linked. */
  linkReason: string;
  origin: 'demo' | 'library';
}

/** A model and the SAE to read it with, for one side of the Prompt view. */
export interface PromptSideChoice {
  modelPath: string;
  saePath: string;
}

export interface PromptSources {
  models: PromptModelOption[];
  saes: PromptSaeOption[];
  /** What a first visit shows: the demo bundle's "standard" model (A) and "adhd" model (B), each with its own SAE. */
  defaults: { a: PromptSideChoice; b: PromptSideChoice } | null;
  maxChars: number;
  /** While the demo bundle is being generated (first use): the job doing it; reload when it ends. */
  demoJobId: string | null;
}

export interface PromptFeature {
  feature: number;
  activation: number;
  /** The user's label of this feature (label.set, an import, the demo's ground truth once applied), else null. */
  label: string | null;
}

export interface PromptToken {
  /** Position in the model input (0 is BOS when the model prepends it). */
  position: number;
  id: number;
  text: string;
  /** The BOS the model prepends: like sae_lens, views leave it out of their scales (its activations are atypical). */
  bos: boolean;
  /** Firing features, strongest first (at most `topFeatures`). */
  features: PromptFeature[];
}

/** Activations of one chosen feature at every token (diff mode). */
export interface PromptTrackedFeature {
  feature: number;
  label: string | null;
  /** One value per token, in token order; exact (0 where it does not fire). */
  activations: number[];
}

export interface PromptSideResult {
  modelPath: string;
  /** The model's name from its loaded config (prefer modelLabel for display). */
  modelName: string;
  /** The model's and the SAE's identity labels, as the Library shows them. */
  modelLabel: string;
  saeLabel: string;
  /** Problems with the pairing the user chose, e.g. an SAE linked to another model. */
  warnings: string[];
  saePath: string;
  hookName: string;
  dSae: number;
  tokens: PromptToken[];
  /** Largest activation on this side, for colour scaling. */
  maxActivation: number;
  /** Tokens dropped because the text is longer than the model's context. */
  truncatedTokens: number;
  executionProvider: string;
  /** The features asked for in `sides[i].features`, at every token. */
  tracked: PromptTrackedFeature[];
}

export interface PromptRunResult {
  sides: PromptSideResult[];
  elapsedMs: number;
}

/** Most features one side can track at every token (diff mode uses one). */
export const PROMPT_MAX_TRACKED = 8;

const Side = z
  .object({
    modelPath: z.string().min(1).max(4096),
    saePath: z.string().min(1).max(4096),
    /** Features whose activation is wanted at every token, not only where they are among the strongest. */
    features: z.array(z.number().int().min(0)).max(PROMPT_MAX_TRACKED).optional(),
  })
  .strict();

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
