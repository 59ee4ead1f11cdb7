import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { httpGet, isHealthy } from '../testing/rawSockets';
import { makeTempDir } from '../testing/tempDirs';
import { CONNECTION_FORMAT, connectionFilePath, type ConnectionInfo } from './connectionFile';

const projectRoot = path.resolve(import.meta.dirname, '../..');
const tmp = makeTempDir('connection-file');
afterAll(() => tmp.cleanup());

function serveHeadless(home: string) {
  const child = spawn(process.execPath, [path.join(projectRoot, 'bin/sae-workbench.mjs'), 'serve', '--headless', '--home', home], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HF_HUB_OFFLINE: '1' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, exited, output: () => out };
}

async function waitForFile(file: string, output: () => string): Promise<ConnectionInfo> {
  for (let i = 0; i < 600; i++) {
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as ConnectionInfo;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no connection file:\n${output()}`);
}

describe('serve --headless and the connection file', () => {
  it('serves the API without a renderer build, writes <home>/connection.json mode 0600, removes it on SIGTERM and leaves it after kill -9', async () => {
    const home = path.join(tmp.dir, 'home');
    const served = serveHeadless(home);
    const info = await waitForFile(connectionFilePath(home), served.output);
    expect(info).toMatchObject({ format: CONNECTION_FORMAT, pid: served.child.pid, home, headless: true, url: `ws://127.0.0.1:${info.port}/api` });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(fs.statSync(connectionFilePath(home)).mode & 0o777).toBe(0o600);
    // The file is written before the line is printed: wait for the line rather than race it.
    await expect.poll(() => served.output(), { timeout: 10_000 }).toContain(`Serving the API (headless) on ws://127.0.0.1:${info.port}/api`);
    expect(await isHealthy(info.port)).toBe(true);
    expect((await httpGet(info.port, '/')).status).toBe(404);
    const reply = await new Promise<{ ok: boolean; result: { version: string } }>((resolve, reject) => {
      const ws = new WebSocket(`${info.url}?token=${info.token}`);
      ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'app.info', params: {} })));
      ws.once('message', (d) => {
        resolve(JSON.parse(String(d)));
        ws.close();
      });
      ws.once('error', reject);
    });
    expect(reply).toMatchObject({ ok: true, result: { version: info.version } });
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(fs.existsSync(connectionFilePath(home))).toBe(false);

    // A core killed outright cannot clean up: the file stays, naming a pid that is gone (clients check).
    const killed = serveHeadless(home);
    const second = await waitForFile(connectionFilePath(home), killed.output);
    expect(second.pid).toBe(killed.child.pid);
    expect(second.token).not.toBe(info.token);
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(fs.existsSync(connectionFilePath(home))).toBe(true);
  }, 120_000);
});
