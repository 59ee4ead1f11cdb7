import os from 'node:os';
import path from 'node:path';
import type { HubSettings } from '../../preload/contract/hub';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_PARALLEL_FILES = 4;

const KEY = { endpoint: 'hub.endpoint', offline: 'hub.offline', parallelFiles: 'hub.parallelFiles' } as const;

/** What the user chose in Settings (the app database); env vars override it. */
export interface StoredHubSettings {
  endpoint: string | null;
  offline: boolean;
  parallelFiles: number | null;
}

/** Everything the download code needs, resolved once per job or request. */
export interface HubConfig {
  endpoint: string;
  offline: boolean;
  parallelFiles: number;
  cacheDir: string;
}

type Env = Record<string, string | undefined>;

/** huggingface_hub's _is_true. */
function envTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.toUpperCase());
}

function expandUser(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** HF_HUB_CACHE > HUGGINGFACE_HUB_CACHE (legacy) > HF_HOME/hub > $XDG_CACHE_HOME/huggingface/hub > ~/.cache/huggingface/hub. */
export function resolveCacheDir(env: Env = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return path.resolve(expandUser(explicit));
  const hfHome = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface');
  return path.resolve(expandUser(hfHome), 'hub');
}

export function normalizeEndpoint(endpoint: string, source: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new WorkbenchError('HUB_BAD_ENDPOINT', `The Hub endpoint "${endpoint}" (from ${source}) is not a URL.`, 'Use e.g. https://huggingface.co or your mirror\'s https URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WorkbenchError('HUB_BAD_ENDPOINT', `The Hub endpoint "${endpoint}" (from ${source}) must be http(s).`, 'Use e.g. https://huggingface.co.');
  }
  return endpoint.replace(/\/+$/, '');
}

export function readStoredHubSettings(db: Db): StoredHubSettings {
  const rows = db.prepare(`SELECT key, value FROM settings WHERE key IN (?, ?, ?)`).all(KEY.endpoint, KEY.offline, KEY.parallelFiles) as { key: string; value: string }[];
  const get = (k: string) => rows.find((r) => r.key === k)?.value;
  const parallel = Number(get(KEY.parallelFiles));
  return {
    endpoint: get(KEY.endpoint) || null,
    offline: get(KEY.offline) === 'true',
    parallelFiles: Number.isInteger(parallel) && parallel >= 1 ? parallel : null,
  };
}

export function writeStoredHubSettings(db: Db, patch: { endpoint?: string | null; offline?: boolean; parallelFiles?: number }): void {
  const upsert = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  const remove = db.prepare('DELETE FROM settings WHERE key = ?');
  db.transaction(() => {
    if (patch.endpoint === null) remove.run(KEY.endpoint);
    else if (patch.endpoint !== undefined) upsert.run(KEY.endpoint, normalizeEndpoint(patch.endpoint, 'Settings'));
    if (patch.offline !== undefined) upsert.run(KEY.offline, String(patch.offline));
    if (patch.parallelFiles !== undefined) upsert.run(KEY.parallelFiles, String(patch.parallelFiles));
  })();
}

/** Env vars win over stored settings, so HF_ENDPOINT / HF_HUB_OFFLINE behave as in Python. */
export function resolveHubConfig(stored: StoredHubSettings, env: Env = process.env): HubConfig & Omit<HubSettings, 'tokenSource'> {
  const endpointSource = env.HF_ENDPOINT ? 'env' : stored.endpoint ? 'settings' : 'default';
  const endpoint = normalizeEndpoint(env.HF_ENDPOINT || stored.endpoint || DEFAULT_ENDPOINT, endpointSource === 'env' ? 'HF_ENDPOINT' : endpointSource);
  const offlineSource = envTrue(env.HF_HUB_OFFLINE) ? 'env' : stored.offline ? 'settings' : 'default';
  return {
    endpoint,
    endpointSource,
    offline: offlineSource !== 'default',
    offlineSource,
    parallelFiles: stored.parallelFiles ?? DEFAULT_PARALLEL_FILES,
    cacheDir: resolveCacheDir(env),
  };
}
