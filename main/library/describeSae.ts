import fs from 'node:fs';
import path from 'node:path';
import type { SaeModelLink, SaeSummary } from '../../preload/api';
import { inspectDirectory } from '../formats/inspect';
import { readTextFile } from '../formats/openedFile';
import { SAE_CFG_FILE, SAE_SPARSITY_FILE, SAE_WEIGHTS_FILE } from '../formats/saeConfig';
import { readSafetensorsHeader } from '../formats/safetensors';
import { trainedWithOf } from './identity';
import { parseSaeFolderName } from './saeFolderName';

/** cfg.json's `trained_with` (the inspection above already checked the cfg; a read that fails now says nothing). */
function trainedWithIn(dir: string): string | null {
  try {
    return trainedWithOf(JSON.parse(readTextFile(path.join(dir, SAE_CFG_FILE), 1 << 20)));
  } catch {
    return null;
  }
}

export type SaeDescription = Omit<SaeSummary, 'modelItemId' | 'groupModel' | 'link'>;

/** Linking needs the whole Library (main/library/linkSaesToModels.ts); the catalog does it on read. */
export const NOT_LINKED_YET: SaeModelLink = { modelItemId: null, modelPath: null, modelLabel: null, evidence: null, reason: 'not linked yet' };

/**
 * What the Library shows about an sae_lens directory: main/formats' inspection (cfg.json of any
 * generation, checked against every weight shape) plus what the folder name says
 * (`adhd_L2_hook_resid_post`). A damaged cfg does not hide the SAE: it is listed with its problem
 * and whatever the folder name and the W_enc shape tell.
 */
export function describeSaeDirectory(dir: string): { sae: SaeDescription; problems: string[] } {
  const folder = parseSaeFolderName(path.basename(dir));
  const variant = folder?.variant ?? null;
  try {
    const found = inspectDirectory(dir);
    if (found.kind === 'sae') {
      return {
        sae: {
          architecture: found.architecture,
          dIn: found.dIn,
          dSae: found.dSae,
          k: found.k,
          hookName: found.hook,
          layer: found.layer ?? folder?.layer ?? null,
          modelName: found.modelName,
          trainedWith: trainedWithIn(dir),
          variant,
          cfgGeneration: found.cfgGeneration,
          dtype: found.dtype,
          normalizeActivations: found.normalizeActivations,
          hasSparsity: found.hasSparsity,
        },
        problems: found.problems,
      };
    }
  } catch (err) {
    return fromWeightsAndName(dir, folder, (err as Error).message);
  }
  return fromWeightsAndName(dir, folder, `${dir} is not recognised as a sae_lens SAE directory`);
}

function fromWeightsAndName(dir: string, folder: ReturnType<typeof parseSaeFolderName>, problem: string): { sae: SaeDescription; problems: string[] } {
  const problems = [problem];
  let shape: number[] | undefined;
  try {
    shape = readSafetensorsHeader(path.join(dir, SAE_WEIGHTS_FILE)).entries.find((e) => e.name === 'W_enc')?.shape;
  } catch (err) {
    problems.push((err as Error).message);
  }
  const wEnc = shape?.length === 2 ? shape : null;
  return {
    sae: {
      architecture: null,
      dIn: wEnc?.[0] ?? null,
      dSae: wEnc?.[1] ?? null,
      k: null,
      hookName: folder ? `blocks.${folder.layer}.${folder.hook}` : null,
      layer: folder?.layer ?? null,
      modelName: null,
      trainedWith: null,
      variant: folder?.variant ?? null,
      cfgGeneration: null,
      dtype: null,
      normalizeActivations: null,
      hasSparsity: fs.existsSync(path.join(dir, SAE_SPARSITY_FILE)),
    },
    problems,
  };
}
