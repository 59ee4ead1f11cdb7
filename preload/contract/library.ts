import { z } from 'zod';
import { method } from './define';
import { LibraryItemIdSchema } from './ids';
import type { ItemIdentity, SaeModelLink } from './identity';
import type { JobView } from './jobs';

export const LibraryItemKinds = ['model', 'sae', 'crosscoder', 'dataset', 'result'] as const;
export type LibraryItemKind = (typeof LibraryItemKinds)[number];

/** Where an item was found: a snapshot of the HF cache, or a folder/file the user added. */
export type LibrarySource =
  | {
      type: 'hub';
      repoType: 'model' | 'dataset';
      repoId: string;
      /** Commit sha of the snapshot the item lives in. */
      commit: string;
      /** Refs (branches, tags) that point at this commit, e.g. ["main"]. */
      refs: string[];
      /** Path of the item inside the repo ('' for the repo root). */
      pathInRepo: string;
    }
  | { type: 'local'; root: string };

export interface SaeSummary {
  architecture: string | null;
  dIn: number | null;
  dSae: number | null;
  k: number | null;
  hookName: string | null;
  layer: number | null;
  /** cfg metadata model_name, when present. */
  modelName: string | null;
  /** cfg metadata `trained_with` ("sae-workbench": trained by this app), when present; absent in catalogs scanned before it existed. */
  trainedWith?: string | null;
  /** From a folder named like `adhd_L2_hook_resid_post`: "adhd". */
  variant: string | null;
  /** The Library model this SAE belongs to, when one matches (same as link.modelItemId). */
  modelItemId: string | null;
  /** Display key for grouping: the linked model's identity label, else the model the cfg names. */
  groupModel: string;
  /** Which model it is linked to, by what evidence, in words. */
  link: SaeModelLink;
  /** cfg.json generation ("v6", "v5", ...), weight dtype and input normalisation, when the cfg was readable. */
  cfgGeneration: string | null;
  dtype: string | null;
  normalizeActivations: string | null;
  /** Whether sparsity.safetensors (log10 feature density) is present. */
  hasSparsity: boolean;
}

/** A crosscoder folder (cfg.json architecture "batchtopk_crosscoder"): one dictionary over two models. */
export interface CrosscoderSummary {
  dIn: number | null;
  dSae: number | null;
  k: number | null;
  hookNameA: string | null;
  hookNameB: string | null;
  /** cfg model_a / model_b: the models' names. */
  modelNameA: string | null;
  modelNameB: string | null;
  /** The Library models it reads, each linked by the same evidence rules as an SAE's. */
  linkA: SaeModelLink;
  linkB: SaeModelLink;
}

export interface ModelSummary {
  architecture: string | null;
  /** The name the config gives the model (HF `_name_or_path`, TransformerLens `model_name`), if any. */
  configName?: string | null;
  nLayers: number | null;
  dModel: number | null;
  nHeads: number | null;
  dVocab: number | null;
  nCtx: number | null;
  /** Parameter count from the safetensors headers (exact), null when no header could be read. */
  params: number | null;
  weightFormat: 'safetensors' | 'pytorch' | 'none';
}

export interface DatasetSummary {
  /** File formats present, e.g. ["parquet"] or ["jsonl"]. */
  formats: string[];
  dataFiles: string[];
  /** Rows (records, non-blank lines, parquet num_rows) summed over the files; null when not cheap to know. */
  rows: number | null;
}

export interface ResultSummary {
  /** Top-level JSON shape, for the list: "object (4 keys)", "array (120 items)". */
  shape: string;
}

export interface LibraryItem {
  /** Stable across scans: derived from the item's path. */
  id: string;
  kind: LibraryItemKind;
  /** The file or folder name as found on disk; show `identity.label` instead. */
  name: string;
  /** The one display identity of this item (see contract/identity.ts). */
  identity: ItemIdentity;
  /** Absolute path of the item's directory or file. */
  path: string;
  source: LibrarySource;
  sizeBytes: number;
  fileCount: number;
  sae: SaeSummary | null;
  /** Set for crosscoder items (absent in catalogs scanned before crosscoders existed). */
  crosscoder?: CrosscoderSummary | null;
  model: ModelSummary | null;
  dataset: DatasetSummary | null;
  result: ResultSummary | null;
  /** Things that are off with this item (an unreadable cfg, a missing weights file), for display. */
  problems: string[];
  scannedAt: number;
}

export interface LibraryRoot {
  path: string;
  addedAt: number;
}

export interface LibraryListing {
  items: LibraryItem[];
  roots: LibraryRoot[];
  /** The HF cache the last scan read. */
  hubCacheDir: string;
  /** null until the first scan. */
  scannedAt: number | null;
}

export interface LibraryArtifact {
  item: LibraryItem;
  /** The parsed JSON, for the table viewer. */
  content: unknown;
}


export const libraryContract = {
  /** The stored catalog: instant, no disk walk. */
  'library.list': method<LibraryListing>()(z.object({}).strict()),
  /** Queue a rescan of the HF cache and the added folders (job kind `library.scan`); reuses a scan already queued. */
  'library.scan': method<JobView>()(z.object({}).strict()),
  /** Add a local SAE directory, model directory, dataset file, result file or a folder holding several. */
  /** `problems`: what the walk skipped outside any item (a symlink loop, an unreadable folder), each naming the path. */
  'library.addFolder': method<{ root: LibraryRoot; items: LibraryItem[]; problems: string[] }>()(z.object({ path: z.string().min(1).max(4096) }).strict()),
  'library.removeFolder': method<{ removed: true }>()(z.object({ path: z.string().min(1).max(4096) }).strict()),
  /** Link an SAE to a model by hand (persisted; wins over automatic evidence), or with modelPath null forget that link. */
  'library.linkSae': method<LibraryItem>()(z.object({ saePath: z.string().min(1).max(4096), modelPath: z.string().min(1).max(4096).nullable() }).strict()),
  /** A result file's JSON, parsed, for the artifact viewer. */
  'library.readArtifact': method<LibraryArtifact>()(z.object({ id: LibraryItemIdSchema }).strict()),
};

export interface LibraryEvents {
  /** The catalog changed (scan finished, folder added or removed): reload with library.list. */
  'library.changed': { reason: 'scan' | 'added' | 'removed' | 'linked'; itemCount: number };
}
