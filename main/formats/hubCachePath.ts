/** What a path inside the HF cache says about itself: `.../models--org--name/snapshots/<sha>/sub/dir`. */
export interface HubCachePath {
  repoType: 'model' | 'dataset';
  repoId: string;
  commit: string;
  /** Path inside the repo ('' for the snapshot root), always with forward slashes. */
  pathInRepo: string;
}

const pattern = /(?:^|[/\\])(models|datasets)--([^/\\]+)[/\\]snapshots[/\\]([^/\\]+)(?:[/\\](.*?))?[/\\]?$/;

/** The repo, commit and subfolder of a path in an HF cache snapshot; null for any other path. */
export function hubCachePathOf(p: string): HubCachePath | null {
  const m = pattern.exec(p);
  if (!m) return null;
  // huggingface_hub writes repo_id.replace("/", "--").
  return { repoType: m[1] === 'models' ? 'model' : 'dataset', repoId: m[2].split('--').join('/'), commit: m[3], pathInRepo: (m[4] ?? '').replace(/\\/g, '/') };
}
