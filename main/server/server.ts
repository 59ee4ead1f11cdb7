import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { MAX_WIRE_REQUEST_BYTES } from '../../preload/api';
import type { Core } from '../api/core';
import { WorkbenchError } from '../errors';
import type { Logger } from '../log';
import { attachApiClient } from './apiSocket';
import { allowedHost, parseRequestTarget } from './requestChecks';
import { serveStaticFile } from './staticFiles';

export interface BrowserServerOptions {
  core: Core;
  /** Built renderer (out/renderer); null serves the API only (`serve --headless`: no build needed). */
  staticDir: string | null;
  port?: number;
  token?: string;
  /** Where refused requests and client errors are recorded (default: the core's log). */
  log?: Logger;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Answers 200 "ok" without the token: a cheap liveness probe (monitoring, the abuse suite). */
export const HEALTH_PATH = '/health';

/**
 * Browser mode: the built renderer plus the API over a WebSocket, on 127.0.0.1 only. The API
 * needs the per-launch token, the Origin must be this server, and the Host must be a loopback
 * name, so neither another local user without the URL, nor a web page in the same browser, nor a
 * DNS-rebound name can drive the core. No request, however malformed, may take the server down:
 * each failure ends only the request or connection that caused it.
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const log = options.log ?? options.core.log;
  let root: string | null = null;
  if (options.staticDir !== null) {
    try {
      root = fs.realpathSync(options.staticDir);
      if (!fs.statSync(`${root}/index.html`).isFile()) throw new Error('index.html is not a file');
    } catch {
      throw new WorkbenchError('RENDERER_NOT_BUILT', `The renderer is not built (${options.staticDir}/index.html is missing).`, 'Run `npm run build` first (`npm run serve` does it for you), or serve the API alone with --headless.');
    }
  }
  let port = 0;
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const refuse = (what: string, fields: Record<string, unknown>) => log.log('warn', 'server', what, fields);

  const server = http.createServer((req, res) => {
    try {
      const target = parseRequestTarget(req.url);
      if (!target) {
        refuse('refused a malformed request target', { target: String(req.url).slice(0, 200) });
        return void res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad request: malformed request target.\n');
      }
      if (!allowedHost(req.headers.host, port)) {
        refuse('refused a request for a foreign Host', { host: String(req.headers.host).slice(0, 200) });
        return void res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden: this server answers only to 127.0.0.1 and localhost.\n');
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
      if (target.pathname === HEALTH_PATH) return void res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : 'ok\n');
      if (root === null) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: this core serves only the API (started with --headless).\n');
      void serveStaticFile(root, target.pathname, req, res).catch((err: unknown) => failResponse(res, err));
    } catch (err) {
      failResponse(res, err);
    }
  });
  const failResponse = (res: http.ServerResponse, err: unknown) => {
    log.log('error', 'server', 'request failed', { error: (err as Error)?.stack ?? String(err) });
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error.\n');
    else res.destroy();
  };
  // Malformed HTTP (bad headers, oversized header block): answer 400 on that socket only.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    socket.end(`HTTP/1.1 ${err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WIRE_REQUEST_BYTES });
  wss.on('error', (err) => log.log('error', 'server', 'WebSocket server error', { error: err.stack }));
  server.on('upgrade', (req, socket, head) => {
    // Until ws owns the socket, a reset from the client is ours to swallow.
    socket.on('error', () => socket.destroy());
    const reject = (status: number, reason: string) => {
      if (socket.writable) socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    try {
      const target = parseRequestTarget(req.url);
      if (!target) return reject(400, 'Bad Request');
      if (!allowedHost(req.headers.host, port)) return reject(403, 'Forbidden');
      if (target.pathname !== '/api') return reject(404, 'Not Found');
      if (!tokenMatches(target.searchParams.get('token'), token)) return reject(401, 'Unauthorized');
      const origin = req.headers.origin;
      if (origin !== undefined && !allowedOrigins().has(origin)) return reject(403, 'Forbidden');
      wss.handleUpgrade(req, socket, head, (ws) => attachApiClient(ws, options.core, log));
    } catch (err) {
      log.log('error', 'server', 'upgrade failed', { error: (err as Error)?.stack ?? String(err) });
      reject(500, 'Internal Server Error');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new WorkbenchError('PORT_IN_USE', `Port ${options.port} on 127.0.0.1 is already in use.`, 'Pick another with --port N, or --port 0 for any free port.')
          : err,
      );
    });
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', (err) => log.log('error', 'server', 'HTTP server error', { error: err.stack }));
  port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function tokenMatches(given: string | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
