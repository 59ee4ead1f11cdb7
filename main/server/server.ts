import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WireEvent, WireRequest } from '../../preload/api';
import type { Core } from '../api/core';
import { WorkbenchError } from '../errors';

export interface BrowserServerOptions {
  core: Core;
  /** Built renderer (out/renderer). */
  staticDir: string;
  port?: number;
  token?: string;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

// Same policy as the Electron window: nothing loads from anywhere but this origin.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Browser mode: the built renderer plus the API over a WebSocket, on 127.0.0.1 only. The API
 * needs the per-launch token, and the Origin must be this server, so neither another local user
 * without the URL nor a web page in the same browser can drive the core.
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const indexFile = path.join(options.staticDir, 'index.html');
  if (!fs.existsSync(indexFile)) {
    throw new WorkbenchError('RENDERER_NOT_BUILT', `The renderer is not built (${indexFile} is missing).`, 'Run `npm run build` first (`npm run serve` does it for you).');
  }
  const root = path.resolve(options.staticDir);
  let port = 0;
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let file = path.resolve(root, '.' + decoded);
    if (!file.startsWith(root + path.sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = indexFile;
    res.writeHead(200, {
      'content-type': mimeTypes[path.extname(file)] ?? 'application/octet-stream',
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 << 20 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = req.headers.origin;
    const reject = (status: number, reason: string) => {
      socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (url.pathname !== '/api') return reject(404, 'Not Found');
    if (!tokenMatches(url.searchParams.get('token'), token)) return reject(401, 'Unauthorized');
    if (origin !== undefined && !allowedOrigins().has(origin)) return reject(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => attachClient(ws, options.core));
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

function attachClient(ws: WebSocket, core: Core): void {
  const unsubscribe = core.subscribe((event, payload) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload } satisfies WireEvent));
  });
  ws.on('close', unsubscribe);
  ws.on('message', async (data) => {
    let req: WireRequest;
    try {
      req = JSON.parse(String(data)) as WireRequest;
      if (typeof req.id !== 'number' || typeof req.method !== 'string') throw new Error('bad frame');
    } catch {
      ws.send(JSON.stringify({ id: -1, ok: false, error: { code: 'BAD_REQUEST', message: 'A request must be JSON {id, method, params}.' } }));
      return;
    }
    const res = await core.call(req.method, req.params);
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: req.id, ...res }));
  });
}
