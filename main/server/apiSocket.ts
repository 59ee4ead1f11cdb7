import type { RawData, WebSocket } from 'ws';
import { MAX_TENSOR_UPLOAD_BYTES, type WireEvent, type WireRequest, type WireResult } from '../../preload/api';
import type { Core } from '../api/core';
import { internalError, internalErrorFields } from '../errors';
import type { Logger } from '../log';
import { AnnouncementError, FrameError, TensorAssembly, announcedTensors, attachTensors, detachTensors, isMessageId, parseFrame, tensorFrames } from './tensorFrames';

/** A client that lets this much pile up unread (events it never reads) is cut off. */
const MAX_BUFFERED_BYTES = 64 << 20;
/** Ids of refused announcements whose frames are still dropped (a client sends them right after). */
const DROPPED_IDS_KEPT = 64;

/**
 * One authenticated API client on the WebSocket. Protocol violations (invalid UTF-8, unmasked or
 * reserved frames, RSV bits, a message over MAX_WIRE_REQUEST_BYTES) make ws close this client
 * with the matching close code (1002, 1007, 1009); the 'error' listener is what keeps them from
 * being thrown out of the server. Binary frames carry tensors announced by a JSON message
 * (preload/contract/tensors.ts): one nobody announced closes the connection with 1003, one that
 * overruns its tensor with 1007. Everything else about a request is answered in-band.
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
  /** Requests whose tensors are still arriving, by id. */
  const uploads = new Map<number, { req: WireRequest; assembly: TensorAssembly }>();
  const dropped: number[] = [];
  let uploadBytes = 0;
  let closing = false;

  const unsubscribe = core.subscribe((event, payload) => send({ event, payload } satisfies WireEvent));
  ws.on('close', () => {
    unsubscribe();
    uploads.clear();
  });
  ws.on('error', (err: Error & { code?: string }) => {
    log.log('warn', 'server', `closed an API client after a WebSocket protocol error: ${err.message}`, { code: err.code });
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (closing) return;
    const run = isBinary ? Promise.resolve(onFrame(asBuffer(data))) : onText(data);
    void run.catch((err: unknown) => {
      log.log('error', 'server', 'answering an API request failed', { error: (err as Error)?.stack ?? String(err) });
    });
  });

  const refuse = (code: 1003 | 1007, why: string) => {
    closing = true;
    log.log('warn', 'server', `closed an API client: ${why}`, { closeCode: code });
    uploads.clear();
    ws.close(code, why.slice(0, 120));
  };

  async function onText(data: RawData): Promise<void> {
    let req: WireRequest;
    try {
      req = JSON.parse(String(data)) as WireRequest;
      if (!req || typeof req !== 'object' || !Number.isSafeInteger(req.id) || typeof req.method !== 'string') throw new Error('bad frame');
    } catch {
      send({ id: -1, ok: false, error: { code: 'BAD_REQUEST', message: 'A request must be a JSON text message {id (integer), method (string), params}.' } });
      return;
    }
    if (req.attachments === undefined || req.attachments === 0) return dispatch(req);
    const badRequest = (message: string, code = 'BAD_REQUEST') => {
      send({ id: req.id, ok: false, error: { code, message, hint: 'See the tensor wire format in preload/contract/tensors.ts.' } });
    };
    if (!isMessageId(req.id)) return badRequest('A request with attachments needs an id from 0 to 2^32 - 1.');
    if (uploads.has(req.id)) return badRequest(`Request id ${req.id} is still receiving its tensors; use a new id.`);
    const dropFrames = () => {
      dropped.push(req.id);
      if (dropped.length > DROPPED_IDS_KEPT) dropped.shift();
    };
    let assembly: TensorAssembly;
    try {
      assembly = new TensorAssembly(announcedTensors(req.params, req.attachments));
    } catch (err) {
      if (!(err instanceof AnnouncementError)) throw err;
      dropFrames();
      return badRequest(`Malformed tensor attachments: ${err.message}`);
    }
    if (uploadBytes + assembly.totalBytes > MAX_TENSOR_UPLOAD_BYTES) {
      dropFrames();
      return badRequest(`The request's tensors are ${assembly.totalBytes} bytes; at most ${MAX_TENSOR_UPLOAD_BYTES} bytes may be on their way at once.`, 'TENSOR_TOO_LARGE');
    }
    if (assembly.complete) return dispatch({ ...req, params: attachTensors(req.params, assembly.tensors()) });
    uploadBytes += assembly.totalBytes;
    uploads.set(req.id, { req, assembly });
  }

  function onFrame(frame: Buffer): Promise<void> | void {
    const header = parseFrame(frame);
    if (!header) return refuse(1003, 'a binary frame without a tensor header (binary frames only carry announced tensors)');
    if (dropped.includes(header.id)) return;
    const upload = uploads.get(header.id);
    if (!upload) return refuse(1003, `a binary frame for message ${header.id}, which announced no tensors`);
    try {
      upload.assembly.accept(header.tensor, header.chunk, header.payload);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      return refuse(err.closeCode, `message ${header.id}: ${err.message}`);
    }
    if (!upload.assembly.complete) return;
    uploads.delete(header.id);
    uploadBytes -= upload.assembly.totalBytes;
    return dispatch({ ...upload.req, params: attachTensors(upload.req.params, upload.assembly.tensors()) });
  }

  async function dispatch(req: WireRequest): Promise<void> {
    const res = await core.call(req.method, req.params);
    await respond(req, res);
  }

  async function respond(req: WireRequest, res: WireResult): Promise<void> {
    let text: string;
    let frames: Iterable<Buffer> = [];
    try {
      const { value, tensors } = res.ok ? detachTensors(res.result) : { value: undefined, tensors: [] };
      if (tensors.length && !isMessageId(req.id)) {
        text = JSON.stringify({ id: req.id, ok: false, error: { code: 'BAD_REQUEST', message: `${req.method} answers with tensors, which need a request id from 0 to 2^32 - 1.` } });
      } else if (tensors.length) {
        text = JSON.stringify({ id: req.id, ok: true, result: value, attachments: tensors.length });
        frames = tensorFrames(req.id, tensors);
      } else {
        text = JSON.stringify({ id: req.id, ...res });
      }
    } catch (err) {
      const error = internalError(err, (errorId, e) => log.log('error', 'server', `${req.method}: the result cannot be sent as JSON`, internalErrorFields(errorId, e)));
      text = JSON.stringify({ id: req.id, ok: false, error });
    }
    if (ws.readyState !== ws.OPEN) return;
    ws.send(text);
    // One frame at a time, each after the last has gone out: a large result never piles up in memory
    // ahead of a slow reader (and never counts against MAX_BUFFERED_BYTES for events).
    for (const frame of frames) {
      if (ws.readyState !== ws.OPEN) return;
      await new Promise<void>((resolve) => ws.send(frame, { binary: true }, () => resolve()));
    }
  }
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
