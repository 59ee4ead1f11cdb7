/**
 * Talking to browser mode below the libraries: raw HTTP requests over a TCP socket (request
 * targets that http.request would refuse to send) and a WebSocket client that writes frames byte
 * by byte, including frames no conforming client sends. For the server's abuse tests and bench.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

/** Send `request` as-is and resolve with the status code the server answered (0: closed without one). */
export function rawHttp(port: number, request: string | Buffer, timeoutMs = 5000): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (d) => {
      text += d.toString('latin1');
      // One response is enough; keep-alive sockets would otherwise wait for the timeout.
      const head = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text);
      if (head >= 0 && (!length || text.length >= head + 4 + Number(length[1]))) done();
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}

/** GET a path with http.get (what a browser or curl does); resolves with status and body. */
export function httpGet(port: number, pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathAndQuery, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The server's liveness probe: true when /health answers 200 within the timeout. */
export async function isHealthy(port: number, timeoutMs = 5000): Promise<boolean> {
  const res = await rawHttp(port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`, timeoutMs);
  return res.status === 200;
}

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array;
  fin?: boolean;
  /** RSV1..3 as bits 0b100, 0b010, 0b001. */
  rsv?: number;
  /** Clients must mask; false sends an unmasked frame. */
  mask?: boolean;
  /** Claim this payload length in the header instead of the real one (oversize-header cases). */
  claimedLength?: bigint;
}

/** Encode one WebSocket frame exactly as specified, valid or not. */
export function encodeFrame(f: FrameSpec): Buffer {
  const payload = Buffer.from(f.payload ?? new Uint8Array(0));
  const length = f.claimedLength ?? BigInt(payload.length);
  const mask = f.mask !== false;
  const head: number[] = [((f.fin === false ? 0 : 1) << 7) | ((f.rsv ?? 0) << 4) | (f.opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65536n) head.push(maskBit | 126, Number(length >> 8n) & 0xff, Number(length) & 0xff);
  else {
    head.push(maskBit | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((length >> BigInt(8 * i)) & 0xffn));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([Buffer.from(head), key, masked]);
}

export interface RawWebSocket {
  /** Write raw bytes (e.g. from encodeFrame) to the socket. */
  write(bytes: Uint8Array): void;
  /** Resolves with the server's close code (and reason), or code 0 if the socket ended without a close frame. */
  closed: Promise<{ code: number; reason: string }>;
  /** Text messages the server sent. */
  messages: string[];
  destroy(): void;
}

/** Open /api with a hand-made handshake; rejects with the HTTP status when the upgrade is refused. */
export function rawWebSocket(port: number, token: string, options: { origin?: string; target?: string } = {}): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const messages: string[] = [];
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    let resolveClosed!: (v: { code: number; reason: string }) => void;
    const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
    const target = options.target ?? `/api?token=${encodeURIComponent(token)}`;
    socket.on('connect', () => {
      socket.write(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${options.origin ? `Origin: ${options.origin}\r\n` : ''}\r\n`,
      );
    });
    socket.on('data', (d) => {
      buffer = Buffer.concat([buffer, d]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buffer.subarray(0, end).toString('latin1'))?.[1] ?? 0);
        if (status !== 101) {
          socket.destroy();
          reject(Object.assign(new Error(`upgrade refused with ${status}`), { status }));
          return;
        }
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        resolve({ write: (b) => socket.write(b), closed, messages, destroy: () => socket.destroy() });
      }
      // Server frames are unmasked; parse as many complete ones as arrived.
      for (;;) {
        if (buffer.length < 2) return;
        const opcode = buffer[0] & 0x0f;
        let len = buffer[1] & 0x7f;
        let offset = 2;
        if (len === 126) {
          if (buffer.length < 4) return;
          len = buffer.readUInt16BE(2);
          offset = 4;
        } else if (len === 127) {
          if (buffer.length < 10) return;
          len = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + len) return;
        const payload = buffer.subarray(offset, offset + len);
        buffer = buffer.subarray(offset + len);
        if (opcode === 0x1) messages.push(payload.toString('utf8'));
        if (opcode === 0x8) resolveClosed({ code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString('utf8') });
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (!upgraded) reject(Object.assign(new Error('closed before the upgrade'), { status: 0 }));
      resolveClosed({ code: 0, reason: 'socket closed without a close frame' });
    });
  });
}
