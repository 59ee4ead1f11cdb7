/**
 * One identity per model, SAE and dataset, derived once in the core (main/library/identity.ts)
 * and used everywhere a name is shown: the Library, the Prompt page's pickers and result headers,
 * `library --json`, `inspect`, and every page added later. Pages never build names of their own
 * from paths or configs: they show `identity.label`, and `identity.detail` where two items could
 * be confused.
 */

/** The job kind that generates the demo bundle (offered wherever the Library or a picker is empty). */
export const DEMO_JOB_KIND = 'demo.generate';

/** A set of items generated together (today: the demo bundle), shown as one labelled group. */
export interface BundleRef {
  kind: 'demo';
  version: number;
  /** Folder the bundle lives in. */
  root: string;
  /** "Demo bundle v1". */
  label: string;
  /** The item's place in the bundle: "models/adhd", "saes/adhd/blocks.2.hook_resid_post". */
  member: string;
  /** Other folders holding a byte-identical copy of this bundle (listed once, here). */
  alsoAt: string[];
}

export interface ItemIdentity {
  /**
   * THE display name: the HF repo (+ subfolder) for Hub items; for local folders, what the config
   * names (a model's `_name_or_path`), else the folder name; an SAE folder named only by its hook
   * (`blocks.2.hook_resid_post`) is prefixed with its model (cfg `model_name`) or parent folder.
   * Unique within the Library: clashing names get the distinguishing part of their path appended.
   */
  label: string;
  /** Where it comes from, in one line: "HF model org/name @ main", "folder /data/x", "Demo bundle v1". */
  detail: string;
  /** Equal for copies of the same thing (e.g. the demo bundle generated twice), else unique. */
  key: string;
  bundle: BundleRef | null;
}

/** What tied an SAE to its model, strongest first. */
export const SaeLinkEvidences = ['manual', 'model_name', 'repo_family', 'folder_name', 'shape'] as const;
export type SaeLinkEvidence = (typeof SaeLinkEvidences)[number];

export interface SaeModelLink {
  /** The Library model, when one is linked. */
  modelItemId: string | null;
  modelPath: string | null;
  /** Its identity label (or, unlinked, the model the cfg names, when it names one). */
  modelLabel: string | null;
  evidence: SaeLinkEvidence | null;
  /** A sentence for the UI and CLI: 'linked by model_name ("demo-adhd")', or why no model was linked. */
  reason: string;
}

/** The words shown for each kind of evidence: "linked by model_name". */
export function linkEvidenceText(evidence: SaeLinkEvidence): string {
  switch (evidence) {
    case 'manual':
      return 'linked by hand';
    case 'model_name':
      return 'linked by model_name';
    case 'repo_family':
      return 'linked by HF repo family';
    case 'folder_name':
      return 'linked by folder name';
    case 'shape':
      return 'linked by shape';
  }
}
