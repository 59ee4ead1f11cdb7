/**
 * A crosscoder's diffing figures (crosscoderAnalysis.ts) for every latent: Δnorm, band and decoder
 * cosine from the weights alone; with a dataset and both models, each latent's density and, for
 * A-only and B-only latents, latent scaling (nu_r, nu_eps) over paired activations of the first
 * `maxTokens` tokens (BOS left out, as in training). Used by the crosscoder.analyse job and by
 * `sae-workbench crosscoder-latents`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { evaluateCrosscoder } from '../evals/crosscoderEval';
import { loadCrosscoder, type CrosscoderWeights } from '../formats/crosscoder';
import { loadModel } from '../formats/models/registry';
import { planDataset } from '../datasets/documentReader';
import { loadTokenizer } from '../tokenize/tokenizer';
import { tokenizerDifferences } from '../tokenize/tokenizerDifferences';
import { ActivationStream } from '../train/activationStream';
import type { CrosscoderAnalyseParams, CrosscoderAnalysis, CrosscoderLatentRow } from '../../preload/api';
import { bandCounts, decoderFigures, histogram, LatentScaling, type OwnModel } from './crosscoderAnalysis';

export interface AnalyseContext {
  log(level: 'info' | 'warn', message: string): void;
  progress(fraction: number, message: string): void;
  /** The Library's model linked to a side of the crosscoder (the job and CLI look it up), or null. */
  linkedModel?(side: 'A' | 'B', cc: CrosscoderWeights, dir: string): string | null;
}

/** Where model A / B is: the params, then the folder the crosscoder was trained from (cfg model_*_path), then the Library. */
function modelDir(side: 'A' | 'B', given: string | undefined, cc: CrosscoderWeights, dir: string, ctx: AnalyseContext): string | null {
  if (given) return path.resolve(given);
  const recorded = cc.config.raw[side === 'A' ? 'model_a_path' : 'model_b_path'];
  if (typeof recorded === 'string' && fs.existsSync(path.join(recorded, 'config.json'))) return recorded;
  return ctx.linkedModel?.(side, cc, dir) ?? null;
}

export async function analyseCrosscoder(params: CrosscoderAnalyseParams, ctx: AnalyseContext): Promise<CrosscoderAnalysis> {
  const dir = path.resolve(params.crosscoder);
  const cc = loadCrosscoder(dir);
  const c = cc.config;
  const { dIn: d, dSae } = c;
  const figures = decoderFigures(cc.W_dec.data, dSae, d, params.bands);

  const datasetPath = params.dataset ?? (c.datasetPath && fs.existsSync(c.datasetPath) ? c.datasetPath : null);
  let density: Float64Array | null = null;
  let scaling: ReturnType<LatentScaling['result']> | null = null;
  let tokens: number | null = null;
  let ep: string | null = null;
  let paths: [string | null, string | null] = [null, null];
  if (datasetPath) {
    const dirA = modelDir('A', params.modelA, cc, dir, ctx);
    const dirB = modelDir('B', params.modelB, cc, dir, ctx);
    if (!dirA || !dirB) {
      throw new WorkbenchError(
        'CROSSCODER_MODELS_UNKNOWN',
        `Densities and latent scaling of ${dir} need both models' activations, but model ${dirA ? 'B' : 'A'} (${dirA ? c.modelB : c.modelA}) was not found: cfg.json names no model folder that still exists (model_a_path, model_b_path) and no Library model is linked to it.`,
        'Give the models (--model-a/--model-b, or modelA/modelB), add them to the Library, or leave the dataset out for the decoder figures alone.',
      );
    }
    paths = [dirA, dirB];
    const modelA = loadModel(dirA);
    const modelB = loadModel(dirB);
    for (const [side, m, hook] of [['A', modelA, c.hookNameA], ['B', modelB, c.hookNameB]] as const) {
      if (m.config.dModel !== d) throw new WorkbenchError('CROSSCODER_WIDTH_MISMATCH', `Model ${side} (${m.config.name}, ${side === 'A' ? dirA : dirB}) is ${m.config.dModel} wide at ${hook}; the crosscoder reads d_in ${d}.`, `Choose the model the crosscoder was trained on (${side === 'A' ? c.modelA : c.modelB}).`);
    }
    const differ = tokenizerDifferences(dirA, modelA.config, dirB, modelB.config);
    if (differ.length) throw new WorkbenchError('CROSSCODER_TOKENIZERS_DIFFER', `Model A (${modelA.config.name}) and model B (${modelB.config.name}) do not tokenize alike: ${differ.join('; ')}.`, 'Choose the two models the crosscoder was trained on.');
    const prependBos = c.prependBos ?? modelA.config.prependBos;
    const tokenizer = loadTokenizer(dirA, { prependBos, bosTokenId: modelA.config.bosTokenId, eosTokenId: modelA.config.eosTokenId });
    const plan = await planDataset(datasetPath, params.textColumn ?? null);
    const stream = new ActivationStream(
      { model: modelA, tokenizer, plan, hooks: [c.hookNameA], contextSize: Math.min(c.contextSize, modelA.config.nCtx, modelB.config.nCtx), prependBos, device: params.device, partner: { model: modelB, hooks: [c.hookNameB], keys: ['B'] } },
      { document: 0, window: 0, row: 0, epoch: 0 },
      null,
      'the crosscoder analysis',
    );
    const available = Math.min(params.maxTokens, await stream.countRowsUpTo(params.maxTokens));
    if (available === 0) throw new WorkbenchError('DATASET_TOO_SMALL', `The dataset ${plan.path} has no tokens to analyse (BOS not counted).`, 'Choose another dataset.');
    ctx.progress(0.05, `running both models over ${available} tokens`);
    const rows = await stream.take(available);
    tokens = available;
    const oneModel = figures.filter((f) => f.category === 'a-only' || f.category === 'b-only').map((f) => ({ latent: f.latent, own: (f.category === 'a-only' ? 0 : 1) as OwnModel }));
    const ls = new LatentScaling(oneModel, cc.W_dec.data, dSae, d);
    const s = [c.normScaleA, c.normScaleB];
    const u: [Float64Array, Float64Array] = [new Float64Array(d), new Float64Array(d)];
    const xh: [Float64Array, Float64Array] = [new Float64Array(d), new Float64Array(d)];
    const evaluation = await evaluateCrosscoder(cc, rows.hooks[c.hookNameA], rows.hooks.B, {
      device: params.device,
      onProgress: (f) => ctx.progress(0.1 + 0.85 * f, 'encoding and latent scaling'),
      onChunk: ({ rows: n, acts, xhat, pair }) => {
        if (oneModel.length === 0) return;
        for (let r = 0; r < n; r++) {
          for (let m = 0; m < 2; m++) {
            for (let i = 0; i < d; i++) {
              u[m][i] = pair[(2 * r + m) * d + i] / s[m];
              xh[m][i] = xhat[(2 * r + m) * d + i] / s[m];
            }
          }
          for (const { latent } of oneModel) {
            const f = acts[r * dSae + latent];
            if (f > 0) ls.add(latent, f, u, xh, 0);
          }
        }
      },
    });
    ep = evaluation.report?.running ?? null;
    density = Float64Array.from(evaluation.fireCounts, (n) => n / available);
    scaling = ls.result();
    ctx.log('info', `Analysed ${available} tokens: FVE A ${evaluation.metrics.fve_a.toFixed(4)}, B ${evaluation.metrics.fve_b.toFixed(4)}, L0 ${evaluation.metrics.l0.toFixed(2)}.`);
  }

  const live = figures.map((f) => !Number.isNaN(f.deltaNorm) && (density ? density[f.latent] > 0 : true));
  const latents: CrosscoderLatentRow[] = figures.map((f) => {
    const sc = scaling?.get(f.latent);
    return {
      latent: f.latent,
      delta_norm: Number.isNaN(f.deltaNorm) ? null : f.deltaNorm,
      category: f.category,
      cos_ab: f.cosAb,
      density: density ? density[f.latent] : null,
      nu_r: sc?.nuR ?? null,
      nu_eps: sc?.nuEps ?? null,
    };
  });
  const confirmed = (cat: 'a-only' | 'b-only') => latents.filter((l) => live[l.latent] && l.category === cat && l.nu_r !== null && l.nu_eps !== null && l.nu_r < params.nuMax && l.nu_eps < params.nuMax).map((l) => l.latent);
  const sharedCos = latents.filter((l) => live[l.latent] && l.category === 'shared' && l.cos_ab !== null).map((l) => l.cos_ab!);
  return {
    crosscoder: dir,
    dIn: d,
    dSae,
    k: c.k,
    modelA: c.modelA,
    modelB: c.modelB,
    hookA: c.hookNameA,
    hookB: c.hookNameB,
    bands: params.bands,
    nuMax: params.nuMax,
    counts: bandCounts(figures, live),
    deadLatents: latents.filter((l) => !live[l.latent]).map((l) => l.latent),
    histogram: histogram(latents.filter((l) => live[l.latent]).map((l) => l.delta_norm!), 50, 0, 1),
    sharedCosine: { ...histogram(sharedCos, 20, -1, 1), mean: sharedCos.length ? sharedCos.reduce((a, b) => a + b, 0) / sharedCos.length : null },
    latents,
    confirmed: { aOnly: confirmed('a-only'), bOnly: confirmed('b-only') },
    tokens,
    dataset: datasetPath,
    modelPathA: paths[0],
    modelPathB: paths[1],
    executionProvider: ep,
  };
}

export const ANALYSIS_FILE = 'crosscoder_analysis.json';

/** The analysis as the job keeps it: the whole of it in the run folder, a summary as the job's result. */
export function writeAnalysis(runDir: string, a: CrosscoderAnalysis): { file: string; counts: CrosscoderAnalysis['counts']; confirmed: CrosscoderAnalysis['confirmed']; tokens: number | null } {
  fs.mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, ANALYSIS_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(a));
  fs.renameSync(tmp, file);
  return { file, counts: a.counts, confirmed: a.confirmed, tokens: a.tokens };
}

export function readAnalysis(runDir: string): CrosscoderAnalysis {
  const file = path.join(runDir, ANALYSIS_FILE);
  if (!fs.existsSync(file)) throw new WorkbenchError('CROSSCODER_ANALYSIS_MISSING', `The analysis file ${file} is missing.`, 'Run the analysis again.');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as CrosscoderAnalysis;
}

