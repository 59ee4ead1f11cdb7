/**
 * What the Library shows about a crosscoder folder: its cfg.json (checked by the format's own
 * reader) and the weights file's header against it (names and shapes, without reading the
 * tensors), plus non-finite weights (the shared cached scan). A damaged folder is still listed,
 * with its problems and whatever could be read.
 */
import path from 'node:path';
import type { CrosscoderSummary } from '../../preload/api';
import { CROSSCODER_WEIGHTS_FILE, crosscoderTensorShapes, readCrosscoderConfig } from '../formats/crosscoder';
import { nonFiniteProblem } from '../formats/finiteValues';
import { readSafetensorsHeader } from '../formats/safetensors';
import { NOT_LINKED_YET } from './describeSae';

export type CrosscoderDescription = Omit<CrosscoderSummary, 'linkA' | 'linkB'>;

export function describeCrosscoderDirectory(dir: string): { crosscoder: CrosscoderSummary; problems: string[] } {
  const problems: string[] = [];
  let described: CrosscoderDescription = { dIn: null, dSae: null, k: null, hookNameA: null, hookNameB: null, modelNameA: null, modelNameB: null };
  try {
    const c = readCrosscoderConfig(dir);
    described = { dIn: c.dIn, dSae: c.dSae, k: c.k, hookNameA: c.hookNameA, hookNameB: c.hookNameB, modelNameA: c.modelA, modelNameB: c.modelB };
    const file = path.join(dir, CROSSCODER_WEIGHTS_FILE);
    try {
      const header = readSafetensorsHeader(file);
      const want = crosscoderTensorShapes(c.dIn, c.dSae);
      for (const [name, shape] of Object.entries(want)) {
        const e = header.entries.find((t) => t.name === name);
        if (!e) problems.push(`${CROSSCODER_WEIGHTS_FILE} has no tensor "${name}" ([${shape.join(', ')}] expected)`);
        else if (e.shape.join(',') !== shape.join(',')) problems.push(`${CROSSCODER_WEIGHTS_FILE}: "${name}" has shape [${e.shape.join(', ')}]; cfg.json needs [${shape.join(', ')}]`);
      }
      const bad = nonFiniteProblem(file);
      if (bad) problems.push(bad);
    } catch (err) {
      problems.push((err as Error).message);
    }
  } catch (err) {
    problems.push((err as Error).message);
  }
  return { crosscoder: { ...described, linkA: NOT_LINKED_YET, linkB: NOT_LINKED_YET }, problems };
}
