import path from 'node:path';
import type { SaeSummary } from '../../preload/api';
import type { SaeConfig } from '../formats/sae';
import { readSaeConfig, SAE_WEIGHTS_FILE } from '../formats/saeConfig';
import { readSafetensorsHeader } from '../formats/safetensors';
import { parseSaeFolderName } from './saeFolderName';

export type SaeDescription = Omit<SaeSummary, 'modelItemId' | 'groupModel'>;

/**
 * What the Library shows about an sae_lens directory: the cfg.json as main/formats reads it (all
 * generations), checked against the weight shapes in the safetensors header, plus what the folder
 * name says (`adhd_L2_hook_resid_post`). A bad cfg does not hide the SAE: it is listed with its
 * problem and whatever the folder name and weights tell.
 */
export function describeSaeDirectory(dir: string): { sae: SaeDescription; problems: string[] } {
  const problems: string[] = [];
  const folder = parseSaeFolderName(path.basename(dir));
  let cfg: SaeConfig | null = null;
  try {
    cfg = readSaeConfig(dir);
  } catch (err) {
    problems.push((err as Error).message);
  }
  let dIn = cfg?.dIn ?? null;
  let dSae = cfg?.dSae ?? null;
  const weights = path.join(dir, SAE_WEIGHTS_FILE);
  try {
    const wEnc = readSafetensorsHeader(weights).entries.find((e) => e.name === 'W_enc')?.shape;
    if (!wEnc || wEnc.length !== 2) problems.push(`${weights} has no 2-D W_enc tensor`);
    else {
      if (dIn !== null && dIn !== wEnc[0]) problems.push(`cfg.json d_in=${dIn} but W_enc is [${wEnc.join(', ')}]`);
      if (dSae !== null && dSae !== wEnc[1]) problems.push(`cfg.json d_sae=${dSae} but W_enc is [${wEnc.join(', ')}]`);
      dIn ??= wEnc[0];
      dSae ??= wEnc[1];
    }
  } catch (err) {
    problems.push((err as Error).message);
  }
  return {
    sae: {
      architecture: cfg?.architecture ?? null,
      dIn,
      dSae,
      k: cfg?.k ?? null,
      hookName: cfg?.hookName ?? (folder ? `blocks.${folder.layer}.${folder.hook}` : null),
      layer: cfg?.hookLayer ?? folder?.layer ?? null,
      modelName: cfg?.modelName ?? null,
      variant: folder?.variant ?? null,
    },
    problems,
  };
}
