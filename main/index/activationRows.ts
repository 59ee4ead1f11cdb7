/**
 * An index's sparse store as a long table (document, position, feature, activation), in store
 * order: the rows and order of `index export`'s activations.parquet, optionally only some
 * features and documents. What notebooks filter and pivot themselves.
 */
import type { IndexActivations } from '../../preload/api';
import { WorkbenchError } from '../errors';
import type { FeatureIndexReader } from './indexReader';
import { blockOffsets } from './sparseBlocks';

/** Typed columns that grow by doubling (the row count is known only at the end). */
class Columns {
  private size = 0;
  document = new Int32Array(1 << 16);
  position = new Int32Array(1 << 16);
  feature = new Int32Array(1 << 16);
  activation = new Float32Array(1 << 16);

  push(document: number, position: number, feature: number, activation: number): void {
    if (this.size === this.document.length) this.grow();
    this.document[this.size] = document;
    this.position[this.size] = position;
    this.feature[this.size] = feature;
    this.activation[this.size++] = activation;
  }

  get rows(): number {
    return this.size;
  }

  private grow(): void {
    const n = this.size * 2;
    const more = <T extends Int32Array | Float32Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(n);
      b.set(a);
      return b;
    };
    this.document = more(this.document, Int32Array);
    this.position = more(this.position, Int32Array);
    this.feature = more(this.feature, Int32Array);
    this.activation = more(this.activation, Float32Array);
  }
}

export function activationRows(reader: FeatureIndexReader, filter: { features?: number[]; documents?: number[]; maxRows: number }): IndexActivations {
  for (const f of filter.features ?? []) reader.requireFeature(f);
  const features = filter.features ? new Set(filter.features) : null;
  const documents = filter.documents ? new Set(filter.documents) : null;
  const cols = new Columns();
  for (const block of reader.blocks()) {
    if (documents && !documents.has(block.document)) continue;
    const offsets = blockOffsets(block.counts);
    for (let p = 0; p < block.counts.length; p++) {
      for (let j = offsets[p]; j < offsets[p + 1]; j++) {
        if (features && !features.has(block.features[j])) continue;
        if (cols.rows === filter.maxRows) {
          throw new WorkbenchError('ACTIVATIONS_TOO_MANY', `The index ${reader.record.id} holds more than ${filter.maxRows.toLocaleString('en-US')} matching activations.`, 'Ask for fewer features or documents, or raise max_rows (maxRows); `index export` writes the whole store as Parquet.');
        }
        cols.push(block.document, block.start + p, block.features[j], block.values[j]);
      }
    }
  }
  const n = cols.rows;
  return {
    indexId: reader.record.id,
    rows: n,
    document: { dtype: 'I32', shape: [n], data: cols.document.slice(0, n) },
    position: { dtype: 'I32', shape: [n], data: cols.position.slice(0, n) },
    feature: { dtype: 'I32', shape: [n], data: cols.feature.slice(0, n) },
    activation: { dtype: 'F32', shape: [n], data: cols.activation.slice(0, n) },
  };
}

/** index.activations in the interactive worker: its own connection to the app database, kept between requests. */
let workerDb: { home: string; db: import('../db/connection').Db } | null = null;

export async function indexActivationsRequest(home: string, p: { id: string; features?: number[]; documents?: number[]; maxRows: number }): Promise<IndexActivations> {
  const [{ openDatabase }, { IndexCatalog }] = await Promise.all([import('../db/connection'), import('./indexCatalog')]);
  if (workerDb?.home !== home) workerDb = { home, db: openDatabase(home) };
  return activationRows(new IndexCatalog(home, workerDb.db).reader(p.id), p);
}
