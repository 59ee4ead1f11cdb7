/**
 * The connection file: how a script or notebook on this machine finds a running core. `serve`
 * writes <home>/connection.json when it starts listening and removes it when it stops (Ctrl+C,
 * SIGTERM, a clean stop after errors; on any exit of the process as a last resort). It holds the
 * API token, so it is written mode 0600 (owner only), through a temporary file renamed into place.
 * After a kill -9 the file stays behind: clients check that its pid lives and its port answers.
 *
 *   {"format": "sae-workbench.connection", "version": "0.1.0", "pid": 1234, "port": 45678,
 *    "token": "...", "url": "ws://127.0.0.1:45678/api", "home": "/abs/home", "headless": true,
 *    "startedAt": 1760000000000}
 */
import fs from 'node:fs';
import path from 'node:path';

export const CONNECTION_FILE = 'connection.json';
export const CONNECTION_FORMAT = 'sae-workbench.connection';

export interface ConnectionInfo {
  format: typeof CONNECTION_FORMAT;
  version: string;
  pid: number;
  port: number;
  token: string;
  /** The API's WebSocket address; append ?token=<token>. */
  url: string;
  home: string;
  headless: boolean;
  startedAt: number;
}

export function connectionFilePath(home: string): string {
  return path.join(home, CONNECTION_FILE);
}

/** Write the file for this process; returns its removal (a no-op once another core's file replaced it). */
export function writeConnectionFile(home: string, info: Omit<ConnectionInfo, 'format' | 'pid' | 'startedAt' | 'home' | 'url'>): () => void {
  const file = connectionFilePath(home);
  const record: ConnectionInfo = { format: CONNECTION_FORMAT, version: info.version, pid: process.pid, port: info.port, token: info.token, url: `ws://127.0.0.1:${info.port}/api`, home, headless: info.headless, startedAt: Date.now() };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  // 'wx' with mode 0600: the token is never readable by others, not even for a moment.
  fs.writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    try {
      const current = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ConnectionInfo>;
      if (current.pid === process.pid && current.token === info.token) fs.rmSync(file, { force: true });
    } catch {
      // gone already, or not ours to remove
    }
  };
  process.on('exit', remove);
  return remove;
}
