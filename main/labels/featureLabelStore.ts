/**
 * Labels and notes of features in the app database (migration 320), per SAE content key
 * (saeContentKey.ts) and feature id. The one place that writes them, so every way in (the
 * dashboard, `sae-workbench label`, an import, the demo's ground truth) normalises and bounds
 * text the same way.
 */
import type { FeatureLabel } from '../../preload/api';
import { LABEL_MAX_CHARS, NOTE_MAX_CHARS } from '../../preload/api';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';

interface Row {
  feature: number;
  label: string | null;
  note: string | null;
  source: string;
  updated_at: number;
}

function toLabel(r: Row): FeatureLabel {
  return { feature: r.feature, label: r.label, note: r.note, source: r.source, updatedAt: r.updated_at };
}

/** A label is one line: runs of whitespace (newlines, tabs) become one space; '' means none. */
export function normalizeLabel(text: string): string {
  return text.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** A note keeps its lines; control characters other than newline and tab are dropped. */
export function normalizeNote(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .trim();
}

/** Why a normalised label or note cannot be stored, or null. */
export function textProblem(what: 'label' | 'note', text: string): string | null {
  const max = what === 'label' ? LABEL_MAX_CHARS : NOTE_MAX_CHARS;
  const n = [...text].length;
  return n > max ? `the ${what} has ${n.toLocaleString('en-US')} characters, over the ${max.toLocaleString('en-US')} allowed` : null;
}

function requireText(what: 'label' | 'note', text: string): void {
  const problem = textProblem(what, text);
  if (problem) throw new WorkbenchError(what === 'label' ? 'LABEL_TOO_LONG' : 'NOTE_TOO_LONG', `${problem.charAt(0).toUpperCase()}${problem.slice(1)}.`, what === 'label' ? 'Keep the label short (a name); put the rest in the note.' : 'Shorten the note.');
}

export interface LabelWrite {
  feature: number;
  /** Normalised; '' clears. */
  label: string;
  /** Normalised; undefined keeps the stored note, '' clears it. */
  note?: string;
}

export interface WriteOutcome {
  label: FeatureLabel | null;
  previous: FeatureLabel | null;
  changed: boolean;
}

export class FeatureLabelStore {
  constructor(private readonly db: Db) {}

  get(key: string, feature: number): FeatureLabel | null {
    const r = this.db.prepare('SELECT feature, label, note, source, updated_at FROM feature_labels WHERE sae_key = ? AND feature = ?').get(key, feature) as Row | undefined;
    return r ? toLabel(r) : null;
  }

  list(key: string): FeatureLabel[] {
    return (this.db.prepare('SELECT feature, label, note, source, updated_at FROM feature_labels WHERE sae_key = ? ORDER BY feature').all(key) as Row[]).map(toLabel);
  }

  /** Labels by feature id (only features with a label, not just a note). */
  names(key: string): Map<number, string> {
    const rows = this.db.prepare('SELECT feature, label FROM feature_labels WHERE sae_key = ? AND label IS NOT NULL').all(key) as { feature: number; label: string }[];
    return new Map(rows.map((r) => [r.feature, r.label]));
  }

  /** Features whose label or note contains `query` (case-insensitive), labels first, then by id. */
  search(key: string, query: string, limit: number): FeatureLabel[] {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const rows = this.db
      .prepare(
        `SELECT feature, label, note, source, updated_at FROM feature_labels
         WHERE sae_key = ? AND (instr(lower(coalesce(label, '')), ?) > 0 OR instr(lower(coalesce(note, '')), ?) > 0)
         ORDER BY (instr(lower(coalesce(label, '')), ?) = 0), feature LIMIT ?`,
      )
      .all(key, q, q, q, limit) as Row[];
    return rows.map(toLabel);
  }

  /** Write one label (checked), returning what was there before. */
  set(key: string, write: LabelWrite, source: string): WriteOutcome {
    requireText('label', write.label);
    if (write.note !== undefined) requireText('note', write.note);
    return this.db.transaction(() => this.apply(key, write, source))();
  }

  /** Write many labels in one transaction (rows already checked by the caller). */
  setMany(key: string, writes: (LabelWrite & { source: string })[]): WriteOutcome[] {
    return this.db.transaction(() => writes.map((w) => this.apply(key, w, w.source)))();
  }

  private apply(key: string, write: LabelWrite, source: string): WriteOutcome {
    const previous = this.get(key, write.feature);
    const label = write.label || null;
    const note = write.note === undefined ? (previous?.note ?? null) : write.note || null;
    if (previous && previous.label === label && previous.note === note) return { label: previous, previous, changed: false };
    if (label === null && note === null) {
      this.db.prepare('DELETE FROM feature_labels WHERE sae_key = ? AND feature = ?').run(key, write.feature);
      return { label: null, previous, changed: previous !== null };
    }
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO feature_labels (sae_key, feature, label, note, source, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (sae_key, feature) DO UPDATE SET label = excluded.label, note = excluded.note, source = excluded.source, updated_at = excluded.updated_at`,
      )
      .run(key, write.feature, label, note, source, now);
    return { label: { feature: write.feature, label, note, source, updatedAt: now }, previous, changed: true };
  }
}
