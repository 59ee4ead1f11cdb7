import { ReconnectingSocket, type ConnectionState, type SocketLike } from './reconnectingSocket';
import { MAX_WIRE_REQUEST_BYTES, type ApiClient, type ApiEvents, type EventName, type MethodName, type ParamsOf, type ResultOf, type WireEvent, type WireResponse, type WireResult } from '../../../preload/api';

/** Thrown by the client when the core answered with an error; carries code and hint for the UI. */
export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

type Listener = (payload: unknown) => void;

/** The part both transports share: listeners by event name and unwrapping responses. */
export abstract class BaseClient implements ApiClient {
  private readonly listeners = new Map<string, Set<Listener>>();

  abstract call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;

  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener as Listener);
    this.listeners.set(event, set);
    return () => set.delete(listener as Listener);
  }

  protected dispatch(e: WireEvent): void {
    this.listeners.get(e.event)?.forEach((l) => l(e.payload));
  }

  protected unwrap<T>(res: WireResult): T {
    if (res.ok) return res.result as T;
    throw new ApiCallError(res.error.code, res.error.message, res.error.hint);
  }
}

/** Electron: the preload bridge (contextBridge) carries calls over IPC. */
export class IpcClient extends BaseClient {
  constructor(private readonly bridge: { call(method: string, params: unknown): Promise<WireResult>; onEvent(l: (e: WireEvent) => void): () => void }) {
    super();
    bridge.onEvent((e) => this.dispatch(e));
  }

  async call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    return this.unwrap(await this.bridge.call(method, params));
  }
}

/** Whether the client is connected; Electron's IPC always is. */
export interface ConnectionSource {
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  retryNow(): void;
}

export const DISCONNECTED_MESSAGE = 'Cannot reach the SAE Workbench core.';

/**
 * Browser mode: a WebSocket to the core on 127.0.0.1, authenticated by the launch token, opened
 * again by itself when it drops (ReconnectingSocket). Calls made while it is down fail at once,
 * saying so; calls made while the first connection is being made wait for it.
 */
export class WebSocketClient extends BaseClient implements ConnectionSource {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: WireResult) => void; reject: (e: Error) => void }>();
  private readonly socket: ReconnectingSocket;
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private firstSettled: Promise<void>;

  constructor(url: string, healthUrl: string) {
    super();
    let settle = () => {};
    this.firstSettled = new Promise((resolve) => (settle = resolve));
    this.socket = new ReconnectingSocket({
      open: () => new WebSocket(url) as unknown as SocketLike,
      serverUp: () => fetch(healthUrl, { cache: 'no-store' }).then((r) => r.ok, () => false),
      onMessage: (text) => {
        const data = JSON.parse(text) as WireResponse | WireEvent;
        if ('event' in data) this.dispatch(data);
        else this.pending.get(data.id)?.resolve(data);
        if ('id' in data) this.pending.delete(data.id);
      },
      onState: (state) => {
        if (state.status !== 'open') {
          for (const p of this.pending.values()) p.reject(new ApiCallError('DISCONNECTED', 'The connection to the core was lost before it answered.', 'The page reconnects by itself; try again once it has.'));
          this.pending.clear();
        }
        if (state.status !== 'connecting') settle();
        for (const l of this.stateListeners) l(state);
      },
    });
  }

  connection(): ConnectionState {
    return this.socket.state;
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  retryNow(): void {
    this.socket.retryNow();
  }

  async call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (this.socket.state.status === 'connecting') await this.firstSettled;
    const id = this.nextId++;
    const text = JSON.stringify({ id, method, params });
    // The core closes the connection on a larger message; say why here instead.
    const bytes = new TextEncoder().encode(text).byteLength;
    if (bytes > MAX_WIRE_REQUEST_BYTES) {
      throw new ApiCallError('REQUEST_TOO_LARGE', `This ${method} request is ${(bytes / 2 ** 20).toFixed(1)} MiB; the core accepts requests up to ${MAX_WIRE_REQUEST_BYTES / 2 ** 20} MiB.`, 'Send less at once (e.g. fewer files per job).');
    }
    const res = await new Promise<WireResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (!this.socket.send(text)) {
        this.pending.delete(id);
        reject(new ApiCallError('DISCONNECTED', DISCONNECTED_MESSAGE, 'Is `npm run serve` still running? The page reconnects by itself; if the core restarted, open the URL it printed (with its token).'));
      }
    });
    return this.unwrap(res);
  }
}

/** Pick the transport for where we run: the preload bridge in Electron, else the WebSocket. */
export function createClient(): ApiClient {
  const bridge = (window as unknown as { workbench?: ConstructorParameters<typeof IpcClient>[0] }).workbench;
  if (bridge) return new IpcClient(bridge);
  const params = new URLSearchParams(location.search);
  const token = params.get('token') ?? sessionStorage.getItem('workbench.token') ?? '';
  if (params.get('token')) {
    // Keep the token for reloads but drop it from the address bar.
    sessionStorage.setItem('workbench.token', token);
    history.replaceState(null, '', location.pathname + location.hash);
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return new WebSocketClient(`${scheme}://${location.host}/api?token=${encodeURIComponent(token)}`, `${location.origin}/health`);
}
