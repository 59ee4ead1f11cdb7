import type { FeatureDetail, FeatureExample, FeatureLabel } from '../../preload/api';
import { labelSuffix } from '../../preload/api';
import { openDatabase } from '../db/connection';
import { WorkbenchError } from '../errors';
import { prepareHome } from '../home';
import { IndexCatalog } from '../index/indexCatalog';
import { getLabel } from '../labels/labelService';
import { requiredString } from './cliOptions';
import type { CliCommand } from './command';

const USAGE = 'sae-workbench feature --index <id> --feature <f> [--json]';

function example(e: FeatureExample) {
  return { document: e.document, position: e.position, activation: e.activation, tokens: e.tokens, activations: e.activations };
}

/** The CLI's JSON contract (snake_case keys, examples without the view's focus index); label and note are null when unset. */
export function featureJson(f: FeatureDetail, label: FeatureLabel | null = null) {
  return {
    index: f.indexId,
    feature: f.feature,
    label: label?.label ?? null,
    note: label?.note ?? null,
    hook_name: f.hookName,
    fire_count: f.fireCount,
    tokens: f.tokens,
    density: f.density,
    max: f.max,
    mean: f.mean,
    decoder_norm: f.decoderNorm,
    top: f.top.map(example),
    intervals: f.intervals.map((iv) => ({ lower: iv.lower, upper: iv.upper, count: iv.count, share: iv.share, examples: iv.examples.map(example) })),
    histogram: f.histogram,
    logits: f.logits ?? { positive: [], negative: [] },
    similar: f.similar,
    correlated: f.correlated,
    // A crosscoder index's latent: its decoder norm in each model, Δnorm and the decoders' cosine (null for SAEs).
    crosscoder: f.crosscoder ?? null,
  };
}

export const featureCommand: CliCommand = {
  name: 'feature',
  summary: "Print one feature of an index: stats, top and interval examples in context, histogram, logit effects, neighbours.",
  usage: USAGE,
  options: { index: { type: 'string' }, feature: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values }, ctx) {
    const id = requiredString(values, 'index', USAGE);
    const raw = requiredString(values, 'feature', USAGE);
    const feature = Number(raw);
    if (!Number.isInteger(feature) || feature < 0) throw new WorkbenchError('BAD_ARGUMENT', `--feature "${raw}" must be a feature id (0, 1, 2, ...).`, `Usage: ${USAGE}`);
    prepareHome(ctx.home);
    const db = openDatabase(ctx.home);
    const f = new IndexCatalog(ctx.home, db).reader(id).feature(feature);
    const label = await getLabel(db, { index: id }, feature);
    if (values.json) {
      ctx.stdout(JSON.stringify(featureJson(f, label)));
      return 0;
    }
    ctx.stdout(`Feature ${f.feature}${labelSuffix(label?.label)} of ${f.labels.model} · ${f.hookName} (${f.indexId})`);
    if (label?.note) ctx.stdout(`  note: ${label.note}`);
    ctx.stdout(`  fires on ${f.fireCount.toLocaleString('en-US')} of ${f.tokens.toLocaleString('en-US')} tokens (density ${f.density.toExponential(2)}), max ${f.max.toFixed(3)}, mean ${f.mean.toFixed(3)}, decoder norm ${f.decoderNorm.toFixed(3)}`);
    for (const e of f.top.slice(0, 10)) ctx.stdout(`  ${e.activation.toFixed(3).padStart(8)}  doc ${e.document} pos ${e.position}: ${e.tokens.map((t, i) => (i === e.focus ? `[[${t}]]` : t)).join('').replace(/\s+/g, ' ')}`);
    if (f.logits) ctx.stdout(`  promotes: ${f.logits.positive.slice(0, 5).map((l) => `${JSON.stringify(l.text)} ${l.value.toFixed(3)}`).join(', ')}`);
    ctx.stdout(`  similar: ${f.similar.map((s) => `#${s.feature} ${s.score.toFixed(2)}`).join(', ')}; correlated: ${f.correlated.map((s) => `#${s.feature} ${s.score.toFixed(2)}`).join(', ')}`);
    return 0;
  },
};
