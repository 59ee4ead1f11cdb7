/** What a folder name like `adhd_L2_hook_resid_post` says: model variant "adhd", layer 2, hook "hook_resid_post". */
export interface SaeFolderName {
  variant: string | null;
  layer: number;
  hook: string;
}

const pattern = /^(?:(.+?)[_-])?[Ll](?:ayer)?[_-]?(\d+)[_-](hook_[A-Za-z0-9_]+|resid_(?:pre|mid|post)|attn_out|mlp_out)$/;

export function parseSaeFolderName(name: string): SaeFolderName | null {
  const m = pattern.exec(name);
  if (!m) return null;
  return { variant: m[1] ?? null, layer: Number(m[2]), hook: m[3].startsWith('hook_') ? m[3] : `hook_${m[3]}` };
}

/** TransformerLens hook names carry the layer: `blocks.2.hook_resid_post` -> 2. */
export function layerFromHookName(hookName: string | null | undefined): number | null {
  const m = hookName ? /blocks\.(\d+)\./.exec(hookName) : null;
  return m ? Number(m[1]) : null;
}
