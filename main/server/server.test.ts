import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCore } from '../api/core';
import { makeTempDir } from '../testing/tempDirs';
import { startBrowserServer, type BrowserServer } from './server';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(port = 0): Promise<BrowserServer> {
  const home = makeTempDir('srv');
  cleanups.push(home.cleanup);
  const staticDir = path.join(home.dir, 'renderer');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>x</title>');
  fs.writeFileSync(path.join(home.dir, 'secret.txt'), 'do not serve');
  const core = createCore({ home: path.join(home.dir, 'home'), frontDoor: 'test' });
  cleanups.push(() => core.close());
  const server = await startBrowserServer({ core, staticDir, port });
  cleanups.push(() => server.close());
  return server;
}

function connect(url: string, origin?: string): Promise<{ ws: WebSocket } | { status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on('error', () => {});
  });
}

function get(url: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }).on('error', reject);
  });
}

describe('browser-mode server', () => {
  it('binds 127.0.0.1 and prints a URL with the launch token', async () => {
    const server = await start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{20,}$/);
  });

  it('refuses API connections without the token, with a wrong token, or from a foreign Origin', async () => {
    const server = await start();
    const base = `ws://127.0.0.1:${server.port}/api`;
    expect(await connect(base)).toEqual({ status: 401 });
    expect(await connect(`${base}?token=wrong`)).toEqual({ status: 401 });
    expect(await connect(`${base}?token=${server.token}`, 'http://evil.example')).toEqual({ status: 403 });
    expect(await connect(`${base}?token=${server.token}`, `http://127.0.0.1:${server.port + 1}`)).toEqual({ status: 403 });
    const ok = await connect(`${base}?token=${server.token}`, `http://127.0.0.1:${server.port}`);
    expect('ws' in ok).toBe(true);
    if ('ws' in ok) ok.ws.close();
  });

  it('answers API calls and turns malformed frames and bad params into typed errors', async () => {
    const server = await start();
    const conn = await connect(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, `http://127.0.0.1:${server.port}`);
    if (!('ws' in conn)) throw new Error('no connection');
    const replies: unknown[] = [];
    conn.ws.on('message', (d) => replies.push(JSON.parse(String(d))));
    conn.ws.send('not json');
    conn.ws.send(JSON.stringify({ id: 1, method: 'app.info', params: {} }));
    conn.ws.send(JSON.stringify({ id: 2, method: 'jobs.get', params: { id: 5 } }));
    while (replies.length < 3) await new Promise((r) => setTimeout(r, 20));
    expect(replies).toContainEqual(expect.objectContaining({ id: -1, ok: false, error: expect.objectContaining({ code: 'BAD_REQUEST' }) }));
    expect(replies).toContainEqual(expect.objectContaining({ id: 1, ok: true, result: expect.objectContaining({ frontDoor: 'test' }) }));
    expect(replies).toContainEqual(expect.objectContaining({ id: 2, ok: false, error: expect.objectContaining({ code: 'INVALID_PARAMS' }) }));
    conn.ws.close();
  });

  it('serves the renderer with a strict CSP and never files outside it', async () => {
    const server = await start();
    const index = await get(`http://127.0.0.1:${server.port}/`);
    expect(index.status).toBe(200);
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    const escape = await get(`http://127.0.0.1:${server.port}/..%2Fsecret.txt`);
    expect(escape.body).not.toContain('do not serve');
    // A malformed escape is a bad request, not a crash of the server.
    expect((await get(`http://127.0.0.1:${server.port}/%E0%A4%A`)).status).toBe(400);
    expect((await get(`http://127.0.0.1:${server.port}/`)).status).toBe(200);
  });

  it('reports a port in use clearly', async () => {
    const first = await start();
    await expect(start(first.port)).rejects.toMatchObject({ code: 'PORT_IN_USE', hint: expect.stringContaining('--port') });
  });
});
