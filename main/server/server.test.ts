import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCore } from '../api/core';
import { MAX_WIRE_REQUEST_BYTES } from '../../preload/api';
import { encodeFrame, httpGet, isHealthy, rawHttp, rawWebSocket } from '../testing/rawSockets';
import { makeTempDir } from '../testing/tempDirs';
import { startBrowserServer, type BrowserServer } from './server';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(port = 0): Promise<BrowserServer & { staticDir: string; outside: string }> {
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
  return { ...server, staticDir, outside: path.join(home.dir, 'secret.txt') };
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

  it('answers 400 to request targets URL parsing rejects (//, ///, /\\) instead of dying', async () => {
    const server = await start();
    const host = `Host: 127.0.0.1:${server.port}\r\n`;
    for (const target of ['//', '///', '/\\', '//x/..', '*', 'http://evil.example/', '/%00', '/a\x01b']) {
      const res = await rawHttp(server.port, `GET ${target} HTTP/1.1\r\n${host}\r\n`);
      expect([400, 404], `GET ${target}: ${res.text.slice(0, 40)}`).toContain(res.status);
      expect(await isHealthy(server.port)).toBe(true);
    }
    // The issue's own reproduction, Host: x included, and the WebSocket upgrade path.
    expect((await rawHttp(server.port, 'GET // HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBeGreaterThanOrEqual(400);
    await expect(rawWebSocket(server.port, server.token, { target: `//?token=${server.token}` })).rejects.toMatchObject({ status: 400 });
    expect(await isHealthy(server.port)).toBe(true);
  });

  it('refuses a foreign Host header (DNS rebinding) on pages and on the API', async () => {
    const server = await start();
    expect((await httpGet(server.port, '/', { host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await httpGet(server.port, '/', { host: `localhost:${server.port}` })).status).toBe(200);
    const upgrade = await rawHttp(server.port, `GET /api?token=${server.token} HTTP/1.1\r\nHost: evil.example:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    expect(upgrade.status).toBe(403);
  });

  it('closes a WebSocket client that breaks the protocol with the matching close code; the server and other clients carry on', async () => {
    const server = await start();
    const other = await connect(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    if (!('ws' in other)) throw new Error('no connection');
    const cases: [string, Buffer, number][] = [
      ['invalid UTF-8 in a text frame', encodeFrame({ opcode: 0x1, payload: new Uint8Array([0xc3, 0x28, 0xff]) }), 1007],
      ['an unmasked client frame', encodeFrame({ opcode: 0x1, payload: Buffer.from('{}'), mask: false }), 1002],
      ['reserved opcode 0x3', encodeFrame({ opcode: 0x3, payload: Buffer.from('x') }), 1002],
      ['reserved control opcode 0xB', encodeFrame({ opcode: 0xb }), 1002],
      ['RSV1 without an extension', encodeFrame({ opcode: 0x1, payload: Buffer.from('{}'), rsv: 0b100 }), 1002],
      ['a fragmented ping', encodeFrame({ opcode: 0x9, fin: false }), 1002],
      ['a continuation with nothing to continue', encodeFrame({ opcode: 0x0, payload: Buffer.from('x') }), 1002],
      ['a header claiming 2^62 bytes', encodeFrame({ opcode: 0x2, claimedLength: 1n << 62n }), 1009],
      ['a header claiming one byte over the limit', encodeFrame({ opcode: 0x1, claimedLength: BigInt(MAX_WIRE_REQUEST_BYTES + 1) }), 1009],
    ];
    for (const [what, bytes, code] of cases) {
      const raw = await rawWebSocket(server.port, server.token);
      raw.write(bytes);
      expect((await raw.closed).code, what).toBe(code);
      raw.destroy();
      expect(await isHealthy(server.port), what).toBe(true);
    }
    const reply = new Promise((resolve) => other.ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    other.ws.send(JSON.stringify({ id: 7, method: 'app.info', params: {} }));
    expect(await reply).toMatchObject({ id: 7, ok: true });
    other.ws.close();
  });

  it('serves only regular files inside the renderer folder: no FIFOs, sockets or links out', async () => {
    const server = await start();
    const fifo = path.join(server.staticDir, 'pipe.js');
    execFileSync('mkfifo', [fifo]);
    const sock = net.createServer().listen(path.join(server.staticDir, 'sock.js'));
    cleanups.push(() => new Promise<void>((r) => sock.close(() => r())));
    await new Promise((r) => sock.once('listening', r));
    fs.symlinkSync(server.outside, path.join(server.staticDir, 'leak.txt'));
    fs.writeFileSync(path.join(server.staticDir, 'app.js'), 'console.log(1)');
    fs.symlinkSync(path.join(server.staticDir, 'app.js'), path.join(server.staticDir, 'alias.js'));
    expect((await httpGet(server.port, '/pipe.js')).status).toBe(404);
    expect((await httpGet(server.port, '/sock.js')).status).toBe(404);
    const leak = await httpGet(server.port, '/leak.txt');
    expect(leak.status).toBe(404);
    expect(leak.body).not.toContain('do not serve');
    expect(await httpGet(server.port, '/alias.js')).toMatchObject({ status: 200, body: 'console.log(1)' });
    expect(await isHealthy(server.port)).toBe(true);
  });

  it('a file cut short while it streams ends that response only', async () => {
    const server = await start();
    const big = path.join(server.staticDir, 'big.js');
    fs.writeFileSync(big, Buffer.alloc(32 << 20, 0x61));
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: server.port, path: '/big.js', agent: false }, (res) => {
        res.once('data', () => {
          fs.truncateSync(big, 0);
          fs.rmSync(big);
        });
        res.on('data', () => {});
        res.on('end', () => resolve('ended'));
        res.on('error', () => resolve('cut'));
        res.on('aborted', () => resolve('cut'));
      });
      req.on('error', () => resolve('cut'));
    });
    expect(['cut', 'ended']).toContain(outcome);
    expect(await isHealthy(server.port)).toBe(true);
  });
});
