import fs from 'node:fs';
import path from 'node:path';
import type { SaeSummary } from '../../preload/api';
import { layerFromHookName, parseSaeFolderName } from './saeFolderName';
import { readSafetensorsHeader } from '../formats/safetensors';

export type SaeDescription = Omit<SaeSummary, 'modelItemId' | 'groupModel'>;

/**
 * What the Library shows about an sae_lens directory: cfg.json fields across generations (v6
 * nested metadata, v4-v5 flat with hook_point / activation_fn_kwargs.k), checked against the
 * weight shapes in the safetensors header, plus what the folder name says.
 */
export function describeSaeDirectory(dir: string): { sae: SaeDescription; problems: string[] } {
  const problems: string[] = [];
  const folder = parseSaeFolderName(path.basename(dir));
  let cfg: Record<string, unknown> = {};
  const cfgFile = path.join(dir, 'cfg.json');
  try {
    const parsed = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) cfg = parsed as Record<string, unknown>;
    else problems.push(`${cfgFile} is not a JSON object`);
  } catch (err) {
    problems.push(`${cfgFile} cannot be read: ${(err as Error).message}`);
  }
  const meta = isRecord(cfg.metadata) ? cfg.metadata : {};
  const kwargs = isRecord(cfg.activation_fn_kwargs) ? cfg.activation_fn_kwargs : {};
  const activation = str(cfg.activation_fn_str) ?? str(cfg.activation_fn);
  let architecture = str(cfg.architecture);
  if (architecture === 'standard' && activation === 'topk') architecture = 'topk';
  const hookName = str(meta.hook_name) ?? str(cfg.hook_name) ?? str(cfg.hook_point);
  let dIn = int(cfg.d_in);
  let dSae = int(cfg.d_sae);
  const k = int(cfg.k) ?? int(kwargs.k);

  const weights = path.join(dir, 'sae_weights.safetensors');
  try {
    const header = readSafetensorsHeader(weights);
    const wEnc = header.entries.find((e) => e.name === 'W_enc')?.shape;
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
      architecture: architecture ?? null,
      dIn,
      dSae,
      k,
      hookName: hookName ?? (folder ? `blocks.${folder.layer}.${folder.hook}` : null),
      layer: layerFromHookName(hookName) ?? int(meta.hook_layer) ?? int(cfg.hook_layer) ?? folder?.layer ?? null,
      modelName: str(meta.model_name) ?? str(cfg.model_name) ?? null,
      variant: folder?.variant ?? null,
    },
    problems,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function int(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}
