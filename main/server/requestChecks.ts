/**
 * The checks every browser-mode request passes before anything else looks at it. Both return a
 * verdict and never throw: a request target Node accepts but URL parsing does not (`//`, `/\`)
 * must be a 400, not an exception in the request handler.
 */

export interface RequestTarget {
  /** Decoded path, always starting with "/" and free of NUL bytes. */
  pathname: string;
  searchParams: URLSearchParams;
}

/**
 * The origin-form target (`/path?query`) of a request, or null when it is malformed. A path that
 * starts with "//" or holds a backslash is refused too: URL resolution reads both as a host
 * (protocol-relative), and nothing the renderer requests looks like that.
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget | null {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//') || raw.length > 8192) return null;
  if (raw.split('?', 1)[0].includes('\\')) return null;
  let url: URL;
  try {
    // Prefixing the origin keeps "//x" a path: as a relative reference it would name a host.
    url = new URL(`http://127.0.0.1${raw}`);
  } catch {
    return null;
  }
  if (url.host !== '127.0.0.1') return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  return { pathname, searchParams: url.searchParams };
}

/**
 * Whether a Host header names this server by a loopback name. A DNS-rebinding page reaches
 * 127.0.0.1 under its own name (Host: evil.example:PORT) and is refused here, before the token
 * and Origin checks. A request without Host (HTTP/1.0 tools) is not a browser's and passes.
 */
export function allowedHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return true;
  const h = host.trim().toLowerCase();
  const names = ['127.0.0.1', 'localhost'];
  return names.some((n) => h === `${n}:${port}` || (port === 80 && h === n));
}
