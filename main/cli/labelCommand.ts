import type { FeatureLabel, LabelImportReport } from '../../preload/api';
import { featureName } from '../../preload/api';
import { openDatabase, type Db } from '../db/connection';
import { WorkbenchError } from '../errors';
import { prepareHome } from '../home';
import { applyDemoTruth, getLabel, importLabels, listLabels, setLabel } from '../labels/labelService';
import { requiredString } from './cliOptions';
import type { CliCommand, CliContext } from './command';

const USAGE = [
  'sae-workbench label --sae <dir> --feature <f> --text "<label>" [--note "<note>"] [--json]   set a label (--text "" clears it; --note "" clears the note)',
  'sae-workbench label --sae <dir> --feature <f> [--json]                                    print a feature\'s label and note',
  'sae-workbench label import --sae <dir> <file.json|file.jsonl|file.csv> [--json]           labels from a file (id -> label, or a Neuronpedia export)',
  'sae-workbench label list --sae <dir> [--json]                                             every label of an SAE',
  "sae-workbench label demo-truth [--sae <demo-sae-dir>]                                     apply the demo bundle's ground truth as labels",
].join('\n       ');

async function withDb<T>(ctx: CliContext, fn: (db: Db) => Promise<T>): Promise<T> {
  prepareHome(ctx.home);
  const db = openDatabase(ctx.home);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

function featureOption(values: Record<string, unknown>): number {
  const raw = requiredString(values as never, 'feature', USAGE);
  if (!/^\d{1,15}$/.test(raw.trim())) throw new WorkbenchError('BAD_ARGUMENT', `--feature "${raw}" must be a feature id (0, 1, 2, ...).`, `Usage: ${USAGE}`);
  return Number(raw.trim());
}

function labelJson(l: FeatureLabel | null) {
  return l ? { label: l.label, note: l.note, source: l.source, updated_at: l.updatedAt } : null;
}

export function importReportJson(r: LabelImportReport) {
  return { sae: r.sae.saePath, sae_key: r.sae.key, file: r.file, format: r.format, rows: r.rows, set: r.set, replaced: r.replaced, unchanged: r.unchanged, skipped_count: r.skippedCount, skipped: r.skipped };
}

function printImport(r: LabelImportReport, ctx: CliContext): void {
  ctx.stdout(`Set ${r.set} label${r.set === 1 ? '' : 's'} of ${r.sae.saePath} from ${r.file} (${r.format}; ${r.rows} usable row${r.rows === 1 ? '' : 's'}, ${r.replaced} replaced an older label, ${r.unchanged} already as stored).`);
  if (r.skippedCount === 0) return;
  ctx.stdout(`Skipped ${r.skippedCount} row${r.skippedCount === 1 ? '' : 's'}:`);
  for (const s of r.skipped) ctx.stdout(`  row ${s.row}${s.id !== null ? ` (id ${JSON.stringify(s.id)})` : ''}: ${s.reason}`);
  if (r.skippedCount > r.skipped.length) ctx.stdout(`  ... and ${r.skippedCount - r.skipped.length} more`);
}

export const labelCommand: CliCommand = {
  name: 'label',
  summary: 'Label features and note what they do (per SAE, kept across rescans and moves); import labels from JSON/CSV or a Neuronpedia export.',
  usage: USAGE,
  options: { sae: { type: 'string' }, feature: { type: 'string' }, text: { type: 'string' }, note: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, positionals }, ctx) {
    const [sub, ...rest] = positionals;
    switch (sub) {
      case undefined: {
        const sae = requiredString(values, 'sae', USAGE);
        const feature = featureOption(values);
        const text = values.text as string | undefined;
        const note = values.note as string | undefined;
        if (text === undefined && note !== undefined) throw new WorkbenchError('BAD_ARGUMENT', '--note needs --text (give the label too; --text "" for a note without a label).', `Usage: ${USAGE}`);
        if (text === undefined) {
          const l = await withDb(ctx, (db) => getLabel(db, { sae }, feature));
          if (values.json) ctx.stdout(JSON.stringify({ feature, ...(labelJson(l) ?? { label: null, note: null }) }));
          else ctx.stdout(l ? `${featureName(feature, l.label)}${l.note ? `\n  note: ${l.note}` : ''}\n  (${l.source}, ${new Date(l.updatedAt).toISOString()})` : `Feature #${feature} has no label.`);
          return 0;
        }
        const r = await withDb(ctx, (db) => setLabel(db, { sae }, feature, text, note));
        if (values.json) ctx.stdout(JSON.stringify({ sae: r.sae.saePath, sae_key: r.sae.key, feature, label: r.label?.label ?? null, note: r.label?.note ?? null, previous: labelJson(r.previous) }));
        else {
          const was = r.previous?.label ? `was "${r.previous.label}"` : 'had no label';
          ctx.stdout(r.label ? `Feature ${featureName(feature, r.label.label)} of ${r.sae.saePath} (${was}).${r.label.note ? `\n  note: ${r.label.note}` : ''}` : `Cleared the label and note of feature #${feature} of ${r.sae.saePath} (${was}).`);
        }
        return 0;
      }
      case 'import': {
        const sae = requiredString(values, 'sae', USAGE);
        const [file, extra] = rest;
        if (!file || extra !== undefined) throw new WorkbenchError('BAD_ARGUMENT', file ? `label import takes one file, got ${rest.length}.` : 'label import needs a file.', `Usage: ${USAGE}`);
        const r = await withDb(ctx, (db) => importLabels(db, { sae }, file));
        if (values.json) ctx.stdout(JSON.stringify(importReportJson(r)));
        else printImport(r, ctx);
        // A file none of whose rows could be used is an error for a script; partial success is not.
        return r.rows === 0 && r.skippedCount > 0 ? 1 : 0;
      }
      case 'list': {
        const sae = requiredString(values, 'sae', USAGE);
        const r = await withDb(ctx, (db) => listLabels(db, { sae }));
        if (values.json) ctx.stdout(JSON.stringify({ sae: r.sae.saePath, sae_key: r.sae.key, d_sae: r.sae.dSae, labels: r.labels.map((l) => ({ feature: l.feature, ...labelJson(l) })) }));
        else {
          ctx.stdout(`${r.labels.length} labelled feature${r.labels.length === 1 ? '' : 's'} of ${r.sae.saePath} (d_sae ${r.sae.dSae}):`);
          for (const l of r.labels) ctx.stdout(`  ${featureName(l.feature, l.label)}${l.note ? ` — ${l.note.split('\n')[0]}` : ''}`);
        }
        return 0;
      }
      case 'demo-truth': {
        const r = await withDb(ctx, (db) => applyDemoTruth(db, ctx.home, values.sae as string | undefined));
        if (values.json) ctx.stdout(JSON.stringify({ saes: r.saes.map((s) => ({ sae: s.saePath, set: s.set })) }));
        else for (const s of r.saes) ctx.stdout(`Set ${s.set} ground-truth label${s.set === 1 ? '' : 's'} of ${s.saePath}.`);
        return 0;
      }
      default:
        throw new WorkbenchError('BAD_ARGUMENT', `Unknown label subcommand "${sub}".`, `Usage: ${USAGE}`);
    }
  },
};
