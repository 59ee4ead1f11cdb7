/**
 * What the Library shows about a crosscoder folder: main/formats' inspection (cfg.json by the
 * format's own reader, the weights' header against it, non-finite weights from the shared cached
 * scan). A damaged folder is still listed, with its problems and whatever could be read.
 */
import type { CrosscoderSummary } from '../../preload/api';
import { inspectDirectory } from '../formats/inspect';
import { NOT_LINKED_YET } from './describeSae';

export type CrosscoderDescription = Omit<CrosscoderSummary, 'linkA' | 'linkB'>;

export function describeCrosscoderDirectory(dir: string): { crosscoder: CrosscoderSummary; problems: string[] } {
  let described: CrosscoderDescription = { dIn: null, dSae: null, k: null, hookNameA: null, hookNameB: null, modelNameA: null, modelNameB: null };
  let problems: string[];
  try {
    const x = inspectDirectory(dir);
    if (x.kind === 'crosscoder') {
      described = { dIn: x.dIn, dSae: x.dSae, k: x.k, hookNameA: x.hookA, hookNameB: x.hookB, modelNameA: x.modelA, modelNameB: x.modelB };
      problems = x.problems;
    } else problems = [`${dir} is not recognised as a crosscoder folder`];
  } catch (err) {
    problems = [(err as Error).message];
  }
  return { crosscoder: { ...described, linkA: NOT_LINKED_YET, linkB: NOT_LINKED_YET }, problems };
}
