import os from 'node:os';
import path from 'node:path';
import type { HubSettings, HubTokenDelivery } from '../../preload/contract/hub';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_PARALLEL_FILES = 4;

const KEY = { endpoint: 'hub.endpoint', offline: 'hub.offline', parallelFiles: 'hub.parallelFiles', tokenEndpointConfirmed: 'hub.tokenEndpointConfirmed' } as const;

/** What the user chose in Settings (the app database); env vars override it. */
export interface StoredHubSettings {
  endpoint: string | null;
  offline: boolean;
  parallelFiles: number | null;
  /** The http endpoint the user confirmed in Settings that the token may be sent to (exactly this URL). */
  tokenEndpointConfirmed: string | null;
}

/** Everything the download code needs, resolved once per job or request. */
export interface HubConfig {
  endpoint: string;
  offline: boolean;
  parallelFiles: number;
  cacheDir: string;
  /** Whether requests to this endpoint may carry the access token, and why (tokenDeliveryFor). */
  tokenDelivery: HubTokenDelivery;
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
  const rows = db.prepare(`SELECT key, value FROM settings WHERE key IN (?, ?, ?, ?)`).all(KEY.endpoint, KEY.offline, KEY.parallelFiles, KEY.tokenEndpointConfirmed) as { key: string; value: string }[];
  const get = (k: string) => rows.find((r) => r.key === k)?.value;
  const parallel = Number(get(KEY.parallelFiles));
  return {
    endpoint: get(KEY.endpoint) || null,
    offline: get(KEY.offline) === 'true',
    parallelFiles: Number.isInteger(parallel) && parallel >= 1 ? parallel : null,
    tokenEndpointConfirmed: get(KEY.tokenEndpointConfirmed) || null,
  };
}

export interface HubSettingsPatch {
  endpoint?: string | null;
  offline?: boolean;
  parallelFiles?: number;
  /** The user's confirmation (a Settings checkbox) that the token may go to this http endpoint; null withdraws it. */
  tokenEndpointConfirmed?: string | null;
}

/**
 * Store what the user changed. Changing the endpoint withdraws any confirmation to send the token
 * over http, unless the same request confirms the new endpoint by its exact URL: an endpoint set
 * by a request alone never receives the token in clear (see tokenDeliveryFor).
 */
export function writeStoredHubSettings(db: Db, patch: HubSettingsPatch): void {
  const upsert = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  const remove = db.prepare('DELETE FROM settings WHERE key = ?');
  db.transaction(() => {
    const before = readStoredHubSettings(db).endpoint;
    const endpoint = patch.endpoint === undefined ? before : patch.endpoint === null ? null : normalizeEndpoint(patch.endpoint, 'Settings');
    if (endpoint === null) remove.run(KEY.endpoint);
    else upsert.run(KEY.endpoint, endpoint);
    if (patch.tokenEndpointConfirmed !== undefined && patch.tokenEndpointConfirmed !== null) {
      const confirmed = normalizeEndpoint(patch.tokenEndpointConfirmed, 'the token confirmation');
      if (confirmed !== endpoint) {
        throw new WorkbenchError(
          'HUB_CONFIRMATION_MISMATCH',
          `The token confirmation names ${confirmed} but the endpoint in Settings is ${endpoint ?? `the default (${DEFAULT_ENDPOINT})`}.`,
          'Confirm the endpoint that is saved: set it and tick the confirmation in the same Save.',
        );
      }
      upsert.run(KEY.tokenEndpointConfirmed, confirmed);
    } else if (patch.tokenEndpointConfirmed === null || endpoint !== before) {
      remove.run(KEY.tokenEndpointConfirmed);
    }
    if (patch.offline !== undefined) upsert.run(KEY.offline, String(patch.offline));
    if (patch.parallelFiles !== undefined) upsert.run(KEY.parallelFiles, String(patch.parallelFiles));
  })();
}

/**
 * Whether the access token may travel to `endpoint`. Over https it is encrypted, so yes. Over
 * plain http only when the user chose the endpoint themselves: HF_ENDPOINT in the environment they
 * launched the app with (as huggingface_hub trusts it), or an endpoint saved in Settings together
 * with the confirmation for exactly that URL. An http endpoint set by an API request alone gets
 * no token: whoever could make that request would otherwise read the token off the wire.
 */
export function tokenDeliveryFor(endpoint: string, source: HubSettings['endpointSource'], confirmed: string | null): HubTokenDelivery {
  if (new URL(endpoint).protocol === 'https:') return 'https';
  if (source === 'env') return 'env';
  return source === 'settings' && confirmed === endpoint ? 'confirmed' : 'withheld';
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
    tokenDelivery: tokenDeliveryFor(endpoint, endpointSource, stored.tokenEndpointConfirmed),
  };
}
