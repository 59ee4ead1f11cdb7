import type { HubRepoType } from '../../preload/contract/hub';
import { WorkbenchError } from '../errors';

/** A repo on the Hub, parsed from what the user typed (an id or a URL). */
export interface RepoRef {
  repoId: string;
  repoType: HubRepoType;
  /** What the URL said, if it named one (…/tree/<rev>). */
  revision?: string;
}

// Mirrors huggingface_hub's validate_repo_id: optional namespace, word chars, '-' and '.', no '--' or '..'.
const PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/;
const COMMIT_SHA = /^[0-9a-f]{40}$/;

export function isCommitSha(revision: string): boolean {
  return COMMIT_SHA.test(revision);
}

export function validateRepoId(repoId: string): string {
  const parts = repoId.split('/');
  const bad = (why: string) =>
    new WorkbenchError(
      'HUB_BAD_REPO_ID',
      `"${repoId}" is not a valid Hub repo id: ${why}.`,
      'Use "owner/name" (e.g. EleutherAI/pythia-70m) or a Hub URL such as https://huggingface.co/owner/name.',
    );
  if (parts.length > 2) throw bad('it has more than one "/"');
  for (const p of parts) {
    if (!PART.test(p)) throw bad(`"${p}" may only hold letters, digits, "_", "-" and "." (1-96 characters, not starting or ending with "-" or ".")`);
    if (p.includes('--') || p.includes('..')) throw bad('"--" and ".." are not allowed');
  }
  if (repoId.endsWith('.git')) throw bad('it must not end with ".git"');
  return repoId;
}

/** Revisions go into URL paths and ref file names: reject anything that could walk out of either. */
export function validateRevision(revision: string): string {
  const segments = revision.split('/');
  if (revision.length === 0 || revision.length > 256 || segments.some((s) => s === '' || s === '.' || s === '..') || /[\\\0\s~^:?*[]/.test(revision)) {
    throw new WorkbenchError('HUB_BAD_REVISION', `"${revision}" is not a valid revision.`, 'Use a branch or tag name (e.g. main, v1.0) or a 40-character commit sha.');
  }
  return revision;
}

/**
 * Accepts "owner/name", "name", "datasets/owner/name", "hf://datasets/owner/name" and Hub URLs
 * (any host, so mirror URLs work): https://huggingface.co/[datasets/]owner/name[/tree|blob|resolve/<rev>/…].
 */
export function parseRepoRef(input: string, repoType?: HubRepoType): RepoRef {
  const text = input.trim();
  let pathPart = text;
  let fromUrl = false;
  if (/^https?:\/\//i.test(text)) {
    try {
      pathPart = new URL(text).pathname;
    } catch {
      throw new WorkbenchError('HUB_BAD_REPO_ID', `"${text}" is not a valid URL.`, 'Paste the repo page URL, e.g. https://huggingface.co/owner/name.');
    }
    fromUrl = true;
  } else if (text.startsWith('hf://')) {
    pathPart = text.slice('hf://'.length);
  }
  const segments = pathPart.split('/').filter((s) => s.length > 0).map(safeDecode);
  let type: HubRepoType | undefined;
  if (segments[0] === 'datasets') {
    type = 'dataset';
    segments.shift();
  } else if (segments[0] === 'models') {
    type = 'model';
    segments.shift();
  } else if (segments[0] === 'spaces') {
    throw new WorkbenchError('HUB_UNSUPPORTED_REPO_TYPE', `"${text}" is a Space; only models and datasets can be downloaded.`, 'Pick the model or dataset repo the Space uses.');
  }
  if (repoType && type && repoType !== type) {
    throw new WorkbenchError('HUB_BAD_REPO_ID', `"${text}" names a ${type} repo but repo type ${repoType} was asked for.`, `Drop --repo-type or use ${type}.`);
  }
  let revision: string | undefined;
  const marker = segments.findIndex((s, i) => i >= 1 && (s === 'tree' || s === 'blob' || s === 'resolve' || s === 'commit'));
  let idSegments = segments;
  if (marker >= 0) {
    idSegments = segments.slice(0, marker);
    revision = segments[marker + 1];
  } else if (fromUrl && segments.length > 2) {
    idSegments = segments.slice(0, 2);
  }
  if (idSegments.length === 0) throw new WorkbenchError('HUB_BAD_REPO_ID', `"${text}" does not name a repo.`, 'Use "owner/name" or a Hub URL.');
  const repoId = validateRepoId(idSegments.join('/'));
  return { repoId, repoType: repoType ?? type ?? 'model', ...(revision ? { revision: validateRevision(revision) } : {}) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The cache folder name huggingface_hub uses: "models--owner--name". */
export function repoFolderName(repoId: string, repoType: HubRepoType): string {
  return `${repoType}s--${repoId.split('/').join('--')}`;
}
