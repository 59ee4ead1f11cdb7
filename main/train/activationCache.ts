/**
 * Optional on-disk activation cache: each block of the shuffling buffer, unshuffled, as one
 * safetensors shard (a tensor per hook, [rows, d_in] float32; the block's start and end cursors
 * in the metadata). Repeated runs on the same model, hooks, dataset and block size (an lr sweep,
 * a second seed) read the shards instead of running the model. Shards live under a folder named
 * by a hash of everything that determines their content, so different setups never mix.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readSafetensors, toFloat32, writeSafetensors } from '../formats/safetensors';
import type { ActivationRows, DataCursor } from './activationStream';

export interface CacheIdentity {
  model: string;
  modelName: string;
  hooks: string[];
  dataset: string;
  textColumn: string | null;
  contextSize: number;
  prependBos: boolean;
  blockRows: number;
  trainStart: DataCursor;
  /** The device asked for: activations from another execution provider differ in their last bits. */
  device: string;
}

export class ActivationCache {
  readonly dir: string;

  constructor(root: string, identity: CacheIdentity) {
    const key = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
    this.dir = path.join(root, key);
    fs.mkdirSync(this.dir, { recursive: true });
    const about = path.join(this.dir, 'identity.json');
    if (!fs.existsSync(about)) fs.writeFileSync(about, `${JSON.stringify(identity, null, 2)}\n`);
  }

  private file(block: number): string {
    return path.join(this.dir, `block-${String(block).padStart(6, '0')}.safetensors`);
  }

  /** The cached block when it exists and starts at `start` with `rows` rows; else null. */
  read(block: number, start: DataCursor, rows: number): ActivationRows | null {
    const file = this.file(block);
    if (!fs.existsSync(file)) return null;
    try {
      const st = readSafetensors(file);
      const meta = st.metadata ?? {};
      if (meta.start !== JSON.stringify(start) || Number(meta.rows) !== rows) return null;
      const hooks = Object.fromEntries([...st.tensors.keys()].map((h) => [h, toFloat32(st.get(h))]));
      return { rows, hooks, end: JSON.parse(meta.end) as DataCursor };
    } catch {
      // A damaged shard is recomputed and rewritten, never trusted.
      return null;
    }
  }

  write(block: number, start: DataCursor, rows: ActivationRows): void {
    const d = (h: string) => rows.hooks[h].length / rows.rows;
    writeSafetensors(
      this.file(block),
      Object.fromEntries(Object.keys(rows.hooks).map((h) => [h, { dtype: 'F32' as const, shape: [rows.rows, d(h)], data: rows.hooks[h] }])),
      { start: JSON.stringify(start), end: JSON.stringify(rows.end), rows: String(rows.rows) },
    );
  }
}
