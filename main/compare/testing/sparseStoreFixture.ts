import path from 'node:path';
import { FeatureIndexWriter } from '../../index/indexWriter';

/** Per document, per position: the latents that fired there as [feature, activation] pairs. */
export type DocumentSpec = [number, number][][];

/**
 * An index file holding exactly these latents (position 0 of each document is BOS when `bos`),
 * for tests that need stores with hand-computable statistics.
 */
export function writeSparseStore(dir: string, name: string, dSae: number, documents: DocumentSpec[], bos = true): FeatureIndexWriter {
  const writer = FeatureIndexWriter.create(path.join(dir, `${name}.sqlite`), { dSae, topN: 5 }, { contextSize: 1024 });
  documents.forEach((positions, document) => {
    const width = Math.max(1, ...positions.map((p) => p.length));
    const ids = new BigInt64Array(positions.length * width);
    const values = new Float32Array(positions.length * width);
    positions.forEach((latents, p) => {
      const sorted = [...latents].sort((x, y) => y[1] - x[1]);
      sorted.forEach(([f, v], j) => {
        ids[p * width + j] = BigInt(f);
        values[p * width + j] = v;
      });
    });
    writer.addWindow(document, 0, positions.length, { ids, values, width }, 0, bos);
  });
  writer.commit({ nextDocument: documents.length, documents: documents.length, skipped: 0 });
  return writer;
}
