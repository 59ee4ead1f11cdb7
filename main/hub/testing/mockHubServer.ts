/**
 * A small stand-in for the Hugging Face Hub, for tests only: it serves repos from fixture folders
 * on 127.0.0.1 with the endpoints the download code uses (revision info, tree listing with
 * pagination, paths-info, resolve with Range / ETag / X-Linked-Etag, the Hub's error codes) and
 * can inject faults (dropped connections, slow streams, corrupt bytes, 401 for gated repos,
 * transient 5xx). It records every request so tests can assert on Range headers.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import type { HubRepoType } from '../../../preload/contract/hub';

export interface MockRepoOptions {
  repoId: string;
  repoType?: HubRepoType;
  /** The fixture folder whose files make up the repo. */
  folder: string;
  /** Branch and tag names that point at the repo's one commit (default ["main"]). */
  refs?: string[];
  /** Files at least this large (or matching *.safetensors / *.bin) are served as LFS files. */
  lfsThreshold?: number;
  /** Gated or private: every request needs `Authorization: Bearer <token>`. */
  requiredToken?: string;
  /** Raw extra entries appended to the tree listing (e.g. a hostile "../x" path). */
  extraTreeEntries?: unknown[];
}

interface MockFile {
  path: string;
  content: Buffer;
  gitOid: string;
  sha256: string;
  lfs: boolean;
}

interface MockRepo extends Required<Omit<MockRepoOptions, 'requiredToken' | 'extraTreeEntries'>> {
  requiredToken?: string;
  extraTreeEntries: unknown[];
  commit: string;
  files: MockFile[];
}

export interface RecordedRequest {
  method: string;
  url: string;
  range: string | null;
  authorized: boolean;
}

type Fault =
  | { kind: 'drop'; afterBytes: number; times: number }
  | { kind: 'slow'; bytesPerSecond: number }
  | { kind: 'corrupt' }
  | { kind: 'wrongEtag' }
  | { kind: 'status'; status: number; times: number };

/** Pass as the file name to fault injectors to hit the /api/ endpoints (revision, tree, paths-info). */
export const API_FAULTS = '<api>';

export function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function lfsPointer(sha256: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`);
}

function readFolder(folder: string): { path: string; content: Buffer }[] {
  const out: { path: string; content: Buffer }[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      if (fs.statSync(full).isDirectory()) walk(full, rel);
      else out.push({ path: rel, content: fs.readFileSync(full) });
    }
  };
  walk(folder, '');
  return out;
}

export class MockHubServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly repos: MockRepo[] = [];
  private readonly faults = new Map<string, Fault[]>();
  private readonly served = new Map<string, number>();
  readonly requests: RecordedRequest[] = [];
  /** File bodies being streamed right now, and the most at once: proves parallel downloads. */
  activeBodies = 0;
  maxActiveBodies = 0;
  /** Tree listing page size, small so pagination (Link: rel="next") is exercised. */
  pageSize = 50;
  url = '';
  /** Where LFS downloads redirect to: this server, or another one standing in for the CDN. */
  private cdn: MockHubServer = this;
  private contentFrom: MockHubServer = this;

  private constructor() {
    this.server = http.createServer((req, res) => {
      // A client that vanished mid-body (a killed worker) is expected here, not an error.
      res.on('error', () => {});
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(): Promise<MockHubServer> {
    const hub = new MockHubServer();
    await new Promise<void>((resolve) => hub.server.listen(0, '127.0.0.1', resolve));
    hub.url = `http://127.0.0.1:${(hub.server.address() as AddressInfo).port}`;
    return hub;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addRepo(options: MockRepoOptions): { commit: string; files: { path: string; size: number; gitOid: string; sha256: string; lfs: boolean }[] } {
    const lfsThreshold = options.lfsThreshold ?? 1024;
    const files: MockFile[] = readFolder(options.folder).map(({ path: p, content }) => {
      const sha256 = createHash('sha256').update(content).digest('hex');
      const lfs = content.length >= lfsThreshold || /\.(safetensors|bin)$/.test(p);
      return { path: p, content, sha256, lfs, gitOid: gitBlobSha1(lfs ? lfsPointer(sha256, content.length) : content) };
    });
    const commit = createHash('sha1').update(`${options.repoType ?? 'model'}/${options.repoId}\n${files.map((f) => `${f.path} ${f.gitOid}`).join('\n')}`).digest('hex');
    this.repos.push({ repoType: 'model', refs: ['main'], lfsThreshold, extraTreeEntries: [], ...options, commit, files });
    return { commit, files: files.map((f) => ({ path: f.path, size: f.content.length, gitOid: f.gitOid, sha256: f.sha256, lfs: f.lfs })) };
  }

  /** Drop the connection after `afterBytes` bytes of the body, for the next `times` downloads of the file. */
  dropConnection(file: string, afterBytes: number, times = 1): void {
    this.addFault(file, { kind: 'drop', afterBytes, times });
  }
  slowStream(file: string, bytesPerSecond: number): void {
    this.addFault(file, { kind: 'slow', bytesPerSecond });
  }
  corruptContent(file: string): void {
    this.addFault(file, { kind: 'corrupt' });
  }
  /** Announce a different content hash than the listing (an inconsistent mirror). */
  wrongEtag(file: string): void {
    this.addFault(file, { kind: 'wrongEtag' });
  }
  failWithStatus(file: string, status: number, times: number): void {
    this.addFault(file, { kind: 'status', status, times });
  }
  clearFaults(): void {
    this.faults.clear();
  }
  /** Body bytes sent so far for a file (all requests). */
  bytesServed(file: string): number {
    return this.served.get(file) ?? 0;
  }
  resolveRequests(file: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'GET' && decodeURIComponent(r.url.split('?')[0]).endsWith(`/${file}`) && r.url.includes('/resolve/'));
  }

  /** Serve LFS content from `cdn` (another origin), as the Hub does; `cdn` records its own requests. */
  useCdn(cdn: MockHubServer): void {
    this.cdn = cdn;
    cdn.contentFrom = this;
  }

  private addFault(file: string, fault: Fault): void {
    this.faults.set(file, [...(this.faults.get(file) ?? []), fault]);
  }

  private findRepo(type: HubRepoType, segments: string[]): { repo: MockRepo; rest: string[] } | null {
    for (const n of [2, 1]) {
      const id = segments.slice(0, n).join('/');
      const repo = this.repos.find((r) => r.repoType === type && r.repoId === id);
      if (repo) return { repo, rest: segments.slice(n) };
    }
    return null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const auth = req.headers.authorization ?? null;
    const record: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', range: (req.headers.range as string | undefined) ?? null, authorized: auth !== null };
    this.requests.push(record);
    const raw = url.pathname.split('/').filter((s) => s.length > 0);
    const segments = raw.map((s) => decodeURIComponent(s));

    const error = (status: number, code: string | null, message: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-error-message': message };
      if (code) headers['x-error-code'] = code;
      res.writeHead(status, headers);
      res.end(JSON.stringify({ error: message }));
    };
    const authorize = (repo: MockRepo): boolean => {
      if (!repo.requiredToken || auth === `Bearer ${repo.requiredToken}`) return true;
      error(401, 'GatedRepo', `Access to model ${repo.repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      return false;
    };
    const commitOf = (repo: MockRepo, rev: string): string | null => (rev === repo.commit || repo.refs.includes(rev) ? repo.commit : null);

    if (segments[0] === 'cdn' && segments[1]) {
      const file = this.contentFrom.repos.flatMap((r) => r.files).find((f) => f.sha256 === segments[1]);
      if (!file) return error(404, null, 'no such object');
      return this.sendFile(req, res, file, {});
    }

    if (segments[0] === 'api' && (segments[1] === 'models' || segments[1] === 'datasets')) {
      const type: HubRepoType = segments[1] === 'models' ? 'model' : 'dataset';
      const opIndex = segments.findIndex((s, i) => i >= 3 && (s === 'revision' || s === 'tree' || s === 'paths-info'));
      const found = opIndex > 0 ? this.findRepo(type, segments.slice(2, opIndex)) : null;
      if (!found || found.rest.length > 0) return error(401, 'RepoNotFound', 'Repository not found');
      const { repo } = found;
      if (!authorize(repo)) return;
      const apiFault = this.takeFault(API_FAULTS, 'status');
      if (apiFault) return error(apiFault.status, null, 'injected server error');
      const op = segments[opIndex];
      const rev = segments[opIndex + 1] ?? 'main';
      const commit = commitOf(repo, rev);
      if (!commit) return error(404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      const json = (body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (op === 'revision') return json({ id: repo.repoId, sha: commit, siblings: repo.files.map((f) => ({ rfilename: f.path })) });
      if (op === 'tree') {
        const prefix = segments.slice(opIndex + 2).join('/');
        const entries = [...this.treeEntries(repo, prefix, url.searchParams.get('recursive') === 'true'), ...repo.extraTreeEntries];
        const cursor = Number(url.searchParams.get('cursor') ?? '0');
        const page = entries.slice(cursor, cursor + this.pageSize);
        const headers: Record<string, string> = {};
        if (cursor + this.pageSize < entries.length) {
          const next = new URL(url.toString());
          next.searchParams.set('cursor', String(cursor + this.pageSize));
          headers.link = `<${next.toString()}>; rel="next"`;
        }
        return json(page, headers);
      }
      const body = await readBody(req);
      let paths: string[] = [];
      if ((req.headers['content-type'] ?? '').includes('json')) paths = (JSON.parse(body) as { paths?: string[] }).paths ?? [];
      else paths = new URLSearchParams(body).getAll('paths');
      const all = this.treeEntries(repo, '', true) as { path: string }[];
      return json(all.filter((e) => paths.includes(e.path)));
    }

    // /{repo}/resolve/{rev}/{path} and /datasets/{repo}/resolve/{rev}/{path}
    const type: HubRepoType = segments[0] === 'datasets' ? 'dataset' : 'model';
    const afterType = type === 'dataset' ? segments.slice(1) : segments;
    const resolveAt = afterType.indexOf('resolve');
    if (resolveAt <= 0) return error(404, null, 'Not found');
    const found = this.findRepo(type, afterType.slice(0, resolveAt));
    if (!found || found.rest.length > 0) return error(401, 'RepoNotFound', 'Repository not found');
    const { repo } = found;
    if (!authorize(repo)) return;
    const commit = commitOf(repo, afterType[resolveAt + 1] ?? '');
    if (!commit) return error(404, 'RevisionNotFound', 'Invalid rev id');
    const filePath = afterType.slice(resolveAt + 2).join('/');
    const file = repo.files.find((f) => f.path === filePath);
    if (!file) return error(404, 'EntryNotFound', `${filePath} does not exist on "${afterType[resolveAt + 1]}"`);
    const statusFault = this.takeFault(file.path, 'status');
    if (statusFault) return error(statusFault.status, null, 'injected server error');
    const lie = (this.faults.get(file.path) ?? []).some((f) => f.kind === 'wrongEtag');
    const common: Record<string, string> = { 'x-repo-commit': commit, etag: `"${lie && !file.lfs ? 'f'.repeat(40) : file.gitOid}"` };
    if (file.lfs) {
      // As on the Hub: LFS files redirect to a CDN; the hashes travel on the redirect response.
      res.writeHead(302, { ...common, 'x-linked-etag': `"${lie ? 'f'.repeat(64) : file.sha256}"`, 'x-linked-size': String(file.content.length), location: `${this.cdn.url}/cdn/${file.sha256}` });
      res.end();
      return;
    }
    return this.sendFile(req, res, file, common);
  }

  private treeEntries(repo: MockRepo, prefix: string, recursive: boolean): unknown[] {
    const dirs = new Set<string>();
    const files: unknown[] = [];
    for (const f of repo.files) {
      if (prefix && !f.path.startsWith(`${prefix}/`)) continue;
      const rel = prefix ? f.path.slice(prefix.length + 1) : f.path;
      const parts = rel.split('/');
      if (!recursive && parts.length > 1) {
        dirs.add(prefix ? `${prefix}/${parts[0]}` : parts[0]);
        continue;
      }
      for (let i = 1; i < parts.length; i++) dirs.add([prefix, ...parts.slice(0, i)].filter(Boolean).join('/'));
      files.push({
        type: 'file',
        oid: f.gitOid,
        size: f.lfs ? lfsPointer(f.sha256, f.content.length).length : f.content.length,
        path: f.path,
        ...(f.lfs ? { lfs: { oid: f.sha256, size: f.content.length, pointerSize: lfsPointer(f.sha256, f.content.length).length } } : {}),
      });
    }
    const dirEntries = [...dirs].sort().map((d) => ({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d }));
    return [...dirEntries, ...files];
  }

  private takeFault<K extends Fault['kind']>(file: string, kind: K): Extract<Fault, { kind: K }> | null {
    const list = this.faults.get(file) ?? [];
    const fault = list.find((f) => f.kind === kind) as Extract<Fault, { kind: K }> | undefined;
    if (!fault) return null;
    if ('times' in fault) {
      fault.times--;
      if (fault.times <= 0) this.faults.set(file, list.filter((f) => f !== fault));
    }
    return fault;
  }

  private async sendFile(req: http.IncomingMessage, res: http.ServerResponse, file: MockFile, headers: Record<string, string>): Promise<void> {
    const total = file.content.length;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec((req.headers.range as string | undefined) ?? '');
    if (range) start = Number(range[1]);
    if (start > total) {
      res.writeHead(416, { 'content-range': `bytes */${total}` });
      res.end();
      return;
    }
    let body = file.content.subarray(start);
    if ((this.faults.get(file.path) ?? []).some((f) => f.kind === 'corrupt')) {
      body = Buffer.from(body);
      if (body.length > 0) body[body.length - 1] ^= 0xff;
    }
    const out: Record<string, string> = { ...headers, 'accept-ranges': 'bytes', 'content-length': String(body.length), 'content-type': 'application/octet-stream' };
    if (range) out['content-range'] = `bytes ${start}-${total - 1}/${total}`;
    res.writeHead(range ? 206 : 200, out);
    if (req.method === 'HEAD') return void res.end();
    const drop = this.takeFault(file.path, 'drop');
    const slow = (this.faults.get(file.path) ?? []).find((f) => f.kind === 'slow') as { bytesPerSecond: number } | undefined;
    this.activeBodies++;
    this.maxActiveBodies = Math.max(this.maxActiveBodies, this.activeBodies);
    try {
      await this.stream(req, res, file, body, drop, slow);
    } finally {
      this.activeBodies--;
    }
  }

  private async stream(req: http.IncomingMessage, res: http.ServerResponse, file: MockFile, body: Buffer, drop: { afterBytes: number } | null, slow: { bytesPerSecond: number } | undefined): Promise<void> {
    const chunk = slow ? Math.max(1, Math.floor(slow.bytesPerSecond / 20)) : 64 * 1024;
    let sent = 0;
    while (sent < body.length) {
      const limit = drop ? Math.min(body.length, drop.afterBytes) : body.length;
      if (drop && sent >= limit) {
        // Let the bytes already written reach the client, then cut the connection mid-body.
        await new Promise((r) => setTimeout(r, 20));
        req.socket.destroy();
        return;
      }
      const piece = body.subarray(sent, Math.min(limit, sent + chunk));
      const ok = res.write(piece);
      sent += piece.length;
      this.served.set(file.path, this.bytesServed(file.path) + piece.length);
      if (req.socket.destroyed) return;
      if (sent >= body.length) break;
      if (slow) await new Promise((r) => setTimeout(r, 50));
      else if (!ok) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
