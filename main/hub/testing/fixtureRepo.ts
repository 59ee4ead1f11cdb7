import fs from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../random/seededRandom';

/** Seeded bytes, so fixture files are the same on every run. */
export function seededBytes(seed: number, length: number): Buffer {
  const rand = mulberry32(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (rand() * 4294967296) & 0xff;
  return out;
}

export interface FixtureRepoOptions {
  seed?: number;
  /** Size of the big top-level weights file (LFS), for drop / resume / slow-stream tests. */
  bigFileBytes?: number;
  /** How many SAE folders (blocks.N.hook_resid_post/) to create. */
  blocks?: number;
}

/**
 * Writes a small, deterministic SAE-style repo: a README, a config, a big LFS weights file and
 * per-layer folders with cfg.json + sae_weights.safetensors (LFS) + a small sparsity file.
 */
export function writeFixtureRepo(folder: string, options: FixtureRepoOptions = {}): string[] {
  const seed = options.seed ?? 1;
  const files: Record<string, Buffer> = {
    'README.md': Buffer.from(`# fixture repo ${seed}\n`),
    'config.json': Buffer.from(JSON.stringify({ seed, d_model: 16 }, null, 2)),
    'model.safetensors': seededBytes(seed, options.bigFileBytes ?? 256 * 1024),
  };
  for (let b = 0; b < (options.blocks ?? 2); b++) {
    const dir = `blocks.${b}.hook_resid_post`;
    files[`${dir}/cfg.json`] = Buffer.from(JSON.stringify({ architecture: 'topk', d_in: 16, d_sae: 64, k: 4, hook_name: `blocks.${b}.hook_resid_post` }));
    files[`${dir}/sae_weights.safetensors`] = seededBytes(seed * 1000 + b, 8 * 1024 + b);
    files[`${dir}/notes.txt`] = seededBytes(seed * 7 + b, 300);
  }
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(folder, ...rel.split('/'));
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
  return Object.keys(files).sort();
}
