import type { RawData, WebSocket } from 'ws';
import type { WireEvent, WireRequest } from '../../preload/api';
import type { Core } from '../api/core';
import { internalError, internalErrorFields } from '../errors';
import type { Logger } from '../log';

/** A client that lets this much pile up unread (events it never reads) is cut off. */
const MAX_BUFFERED_BYTES = 64 << 20;

/**
 * One authenticated API client on the WebSocket. Protocol violations (invalid UTF-8, unmasked or
 * reserved frames, RSV bits, a message over MAX_WIRE_REQUEST_BYTES) make ws close this client
 * with the matching close code (1002, 1007, 1009); the 'error' listener is what keeps them from
 * being thrown out of the server. Everything else about a request is answered in-band.
 */
export function attachApiClient(ws: WebSocket, core: Core, log: Logger): void {
  const send = (message: unknown) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      log.log('warn', 'server', 'closing an API client that stopped reading', { bufferedBytes: ws.bufferedAmount });
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(message));
  };
  const unsubscribe = core.subscribe((event, payload) => send({ event, payload } satisfies WireEvent));
  ws.on('close', unsubscribe);
  ws.on('error', (err: Error & { code?: string }) => {
    log.log('warn', 'server', `closed an API client after a WebSocket protocol error: ${err.message}`, { code: err.code });
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    void answer(data, isBinary).catch((err: unknown) => {
      log.log('error', 'server', 'answering an API request failed', { error: (err as Error)?.stack ?? String(err) });
    });
  });

  async function answer(data: RawData, isBinary: boolean): Promise<void> {
    let req: WireRequest;
    try {
      if (isBinary) throw new Error('binary frame');
      req = JSON.parse(String(data)) as WireRequest;
      if (!req || typeof req !== 'object' || !Number.isSafeInteger(req.id) || typeof req.method !== 'string') throw new Error('bad frame');
    } catch {
      send({ id: -1, ok: false, error: { code: 'BAD_REQUEST', message: 'A request must be a JSON text message {id (integer), method (string), params}.' } });
      return;
    }
    const res = await core.call(req.method, req.params);
    let text: string;
    try {
      text = JSON.stringify({ id: req.id, ...res });
    } catch (err) {
      const error = internalError(err, (errorId, e) => log.log('error', 'server', `${req.method}: the result cannot be sent as JSON`, internalErrorFields(errorId, e)));
      text = JSON.stringify({ id: req.id, ok: false, error });
    }
    if (ws.readyState === ws.OPEN) ws.send(text);
  }
}
