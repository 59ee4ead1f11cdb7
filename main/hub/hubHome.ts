import type { HubSettings } from '../../preload/contract/hub';
import { openDatabase, type Db } from '../db/connection';
import { readStoredHubSettings, resolveHubConfig, type HubConfig } from './hubConfig';
import { openHubSession, type HubSession } from './repoFiles';
import { readHubToken } from './token';

/** The hub settings as the UI shows them (the token's source, never the token). */
export function hubSettingsView(db: Db, home: string): HubSettings {
  const { endpoint, endpointSource, offline, offlineSource, parallelFiles, cacheDir, tokenDelivery } = resolveHubConfig(readStoredHubSettings(db));
  return { endpoint, endpointSource, offline, offlineSource, parallelFiles, cacheDir, tokenSource: readHubToken(home).source, tokenDelivery };
}

export function hubSessionFor(db: Db, home: string): HubSession {
  return openHubSession(resolveHubConfig(readStoredHubSettings(db)), readHubToken(home).token);
}

/** In a worker: read the settings through its own short-lived connection, at the moment the job runs. */
export function hubConfigFromHome(home: string): HubConfig {
  const db = openDatabase(home, { migrate: false });
  try {
    return resolveHubConfig(readStoredHubSettings(db));
  } finally {
    db.close();
  }
}
