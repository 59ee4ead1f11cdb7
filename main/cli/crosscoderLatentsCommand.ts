import path from 'node:path';
import { WorkbenchError } from '../errors';
import { parseDeviceChoice } from '../engine/executionProviders';
import { analyseCrosscoder } from '../compare/crosscoderAnalyseRun';
import { linkedModelLookup } from '../compare/crosscoderJobs';
import { crosscoderLatentsJson } from '../jobOutputs';
import { CrosscoderAnalyseParamsSchema } from '../../preload/contract/crosscoder';
import type { CliCommand } from './command';
import { numberFlag, requiredString } from './cliOptions';

const usage = 'sae-workbench crosscoder-latents --crosscoder <dir> [--dataset <path> --max-tokens N] [--model-a <dir> --model-b <dir>] [--nu-max X] [--device auto|cpu|cuda|webgpu] [--json]';

/**
 * `crosscoder-latents`: every latent's Δnorm, band and decoder cosine; with a dataset also its
 * density and (A-only and B-only latents) latent scaling. `--json` prints exactly
 * {"latents": [{latent, delta_norm, category, cos_ab, density, nu_r, nu_eps}]}.
 */
export const crosscoderLatentsCommand: CliCommand = {
  name: 'crosscoder-latents',
  summary: 'Per-latent crosscoder figures: Δnorm, A-only/shared/B-only band, decoder cosine, density, latent scaling (nu_r, nu_eps).',
  usage,
  options: {
    crosscoder: { type: 'string' },
    dataset: { type: 'string' },
    'max-tokens': { type: 'string' },
    'model-a': { type: 'string' },
    'model-b': { type: 'string' },
    'text-column': { type: 'string' },
    'nu-max': { type: 'string' },
    device: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values }, ctx) {
    const raw: Record<string, unknown> = { crosscoder: path.resolve(requiredString(values, 'crosscoder', usage)) };
    if (typeof values.dataset === 'string') raw.dataset = path.resolve(values.dataset);
    if (typeof values['model-a'] === 'string') raw.modelA = path.resolve(values['model-a']);
    if (typeof values['model-b'] === 'string') raw.modelB = path.resolve(values['model-b']);
    if (typeof values['text-column'] === 'string') raw.textColumn = values['text-column'];
    const maxTokens = numberFlag(values, 'max-tokens', usage);
    if (maxTokens !== undefined) raw.maxTokens = maxTokens;
    const nuMax = numberFlag(values, 'nu-max', usage, false);
    if (nuMax !== undefined) raw.nuMax = nuMax;
    if (values.device !== undefined) raw.device = parseDeviceChoice(values.device as string);
    const parsed = CrosscoderAnalyseParamsSchema.safeParse(raw);
    if (!parsed.success) throw new WorkbenchError('BAD_ARGUMENT', `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}.`, `Usage: ${usage}`);
    let lastPrint = 0;
    const a = await analyseCrosscoder(parsed.data, {
      log: (level, message) => ctx.stderr(`${level === 'info' ? '' : `${level}: `}${message}`),
      progress: (f, message) => {
        if (Date.now() - lastPrint < 2000 && f < 1) return;
        lastPrint = Date.now();
        ctx.stderr(`${(f * 100).toFixed(1).padStart(5)}% ${message}`);
      },
      linkedModel: await linkedModelLookup(ctx.home),
    });
    if (values.json) {
      ctx.stdout(JSON.stringify(crosscoderLatentsJson(a)));
      return 0;
    }
    const c = a.counts;
    ctx.stdout(`${a.crosscoder}: ${a.dSae} latents over ${a.modelA} (A) and ${a.modelB} (B); ${c.live} live: ${c['a-only']} A-only, ${c.shared} shared, ${c['b-only']} B-only, ${c.other} other.`);
    if (a.tokens !== null) ctx.stdout(`Latent scaling on ${a.tokens} tokens confirms ${a.confirmed.aOnly.length} A-only and ${a.confirmed.bOnly.length} B-only latents (nu_r and nu_eps < ${a.nuMax}).`);
    const f = (v: number | null, digits = 3) => (v === null ? '–' : v.toFixed(digits));
    ctx.stdout('latent  Δnorm  category  cos_ab  density  nu_r  nu_eps');
    for (const l of a.latents.filter((x) => x.category !== 'shared')) ctx.stdout(`${String(l.latent).padStart(6)}  ${f(l.delta_norm)}  ${l.category.padEnd(8)}  ${f(l.cos_ab)}  ${f(l.density, 4)}  ${f(l.nu_r)}  ${f(l.nu_eps)}`);
    return 0;
  },
};
