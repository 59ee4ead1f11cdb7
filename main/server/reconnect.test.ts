/**
 * Issue 17: after `npm run serve` restarted, an open tab said "Cannot reach the core" for good.
 * The renderer's ReconnectingSocket opens the connection again by itself, and says when the core
 * came back with a new token (only the URL it printed gets in). Driven here against the real
 * browser-mode server with the `ws` client in place of the browser's WebSocket.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ReconnectingSocket, type ConnectionState, type SocketLike } from '../../renderer/src/client/reconnectingSocket';
import { createCore, type Core } from '../api/core';
import { makeTempDir } from '../testing/tempDirs';
import { startBrowserServer, type BrowserServer } from './server';

const tmp = makeTempDir('reconnect');
const staticDir = path.join(tmp.dir, 'renderer');
let core: Core;

beforeAll(() => {
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>x</title>');
  core = createCore({ home: path.join(tmp.dir, 'home'), frontDoor: 'test' });
});
afterAll(async () => {
  await core.close();
  tmp.cleanup();
});

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get(`http://127.0.0.1:${port}/health`, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      })
      .on('error', () => resolve(false));
  });
}

/** A client as the page makes one, recording every state it reports and every answer it gets. */
function client(port: number, token: string) {
  const states: ConnectionState[] = [];
  const answers: unknown[] = [];
  const socket = new ReconnectingSocket({
    open: () => new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`) as unknown as SocketLike,
    serverUp: () => healthy(port),
    onMessage: (text) => answers.push(JSON.parse(text)),
    onState: (s) => states.push(s),
    delaysMs: [50, 100, 200],
  });
  const until = async (what: string, check: () => boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; states: ${JSON.stringify(states)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { socket, states, answers, until };
}

describe('the page\'s connection to the core across restarts', () => {
  it('reconnects by itself when the server comes back, and the API answers again', async () => {
    let server: BrowserServer = await startBrowserServer({ core, staticDir, port: 0 });
    const { port, token } = server;
    const c = client(port, token);
    await c.until('the first connection', () => c.socket.state.status === 'open');
    expect(c.socket.send(JSON.stringify({ id: 1, method: 'app.info', params: {} }))).toBe(true);
    await c.until('an answer', () => c.answers.length === 1);

    await server.close();
    await c.until('reconnecting', () => c.socket.state.status === 'reconnecting');
    // Down: nothing is sent, the caller is told.
    expect(c.socket.send('{}')).toBe(false);
    await c.until('a few tries', () => c.states.filter((s) => s.status === 'reconnecting').length >= 3);

    server = await startBrowserServer({ core, staticDir, port, token });
    await c.until('the connection back', () => c.socket.state.status === 'open');
    expect(c.socket.state).toEqual({ status: 'open', epoch: 1 });
    expect(c.socket.send(JSON.stringify({ id: 2, method: 'app.info', params: {} }))).toBe(true);
    await c.until('an answer after the reconnection', () => c.answers.length === 2);
    expect(c.answers[1]).toMatchObject({ id: 2, ok: true });
    c.socket.close();
    await server.close();
  });

  it('a core back with a new token is named as such, and the tries stop', async () => {
    let server: BrowserServer = await startBrowserServer({ core, staticDir, port: 0 });
    const { port, token } = server;
    const c = client(port, token);
    await c.until('the first connection', () => c.socket.state.status === 'open');
    await server.close();
    server = await startBrowserServer({ core, staticDir, port });
    expect(server.token).not.toBe(token);
    await c.until('the refusal', () => c.socket.state.status === 'token-refused');
    expect(c.socket.state).toEqual({ status: 'token-refused', everOpened: true });
    const tries = c.states.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(c.states.length).toBe(tries);
    c.socket.close();
    await server.close();
  });

  it('a page opened without the launch token says so after two refusals (it never connected)', async () => {
    const server = await startBrowserServer({ core, staticDir, port: 0 });
    const c = client(server.port, 'wrong-token');
    await c.until('the refusal', () => c.socket.state.status === 'token-refused');
    expect(c.socket.state).toEqual({ status: 'token-refused', everOpened: false });
    expect(c.states.map((s) => s.status)).toEqual(['reconnecting', 'token-refused']);
    c.socket.close();
    await server.close();
  });
});
