import { constants as fsConstants } from 'node:fs';
import fsp from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream';

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

// O_NONBLOCK: opening a FIFO must not wait for a writer (it would hold a libuv thread forever).
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0) | (fsConstants.O_NOFOLLOW ?? 0);

function within(root: string, file: string): boolean {
  return file === root || file.startsWith(root + path.sep);
}

/**
 * Open what `pathname` names under `root` (the renderer's real path): a regular file inside it,
 * or index.html for anything that is not a file there (client-side routes, folders). Links are
 * resolved first and must stay inside `root`; FIFOs, sockets and devices are refused.
 */
async function openServable(root: string, pathname: string): Promise<{ handle: fsp.FileHandle; file: string; size: number } | null> {
  const candidate = path.resolve(root, `.${pathname}`);
  if (!within(root, candidate)) return null;
  let real: string;
  try {
    real = await fsp.realpath(candidate);
  } catch {
    real = path.join(root, 'index.html');
  }
  if (!within(root, real)) return null;
  for (const file of [real, path.join(root, 'index.html')]) {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, OPEN_FLAGS);
    } catch {
      return null;
    }
    const st = await handle.stat().catch(() => null);
    if (st?.isFile()) return { handle, file, size: st.size };
    await handle.close().catch(() => {});
    if (!st?.isDirectory()) return null;
  }
  return null;
}

/** Serve one renderer file. A stream that fails mid-way (file removed, disk error) ends this response only. */
export async function serveStaticFile(root: string, pathname: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const opened = await openServable(root, pathname);
  if (!opened) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found.\n');
    return;
  }
  res.writeHead(200, {
    'content-type': mimeTypes[path.extname(opened.file)] ?? 'application/octet-stream',
    'content-length': opened.size,
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  if (req.method === 'HEAD') {
    await opened.handle.close().catch(() => {});
    res.end();
    return;
  }
  pipeline(opened.handle.createReadStream(), res, () => {
    // An error here has already destroyed both ends: the client sees a cut response, nothing more.
  });
}
