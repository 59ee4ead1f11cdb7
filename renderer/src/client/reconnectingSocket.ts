/**
 * The browser-mode connection to the core, kept up: when the socket closes (the core stopped, the
 * machine slept) it is opened again with backoff, and the page learns each state to say so. A
 * core that answers GET /health but refuses the socket twice does not know this page's token: it
 * restarted (every launch has a new token), and only the URL it printed gets in, so retrying
 * stops there. No DOM types: a Node test drives it against a real server with the `ws` client.
 */

/** The part of a WebSocket this needs (the browser's, or `ws` in tests). */
export interface SocketLike {
  send(data: string): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export type ConnectionState =
  /** The first connection is being made. */
  | { status: 'connecting' }
  /** Connected; `epoch` counts reconnections (0: the first connection), so pages reload after one. */
  | { status: 'open'; epoch: number }
  /** Not connected; the next try is at `nextTryAt` (ms since the epoch). */
  | { status: 'reconnecting'; attempt: number; nextTryAt: number; everOpened: boolean }
  /** The core is up but refuses this page's token (it restarted with a new one, or the URL had none). */
  | { status: 'token-refused'; everOpened: boolean };

export interface ReconnectOptions {
  open(): SocketLike;
  /** Whether the server answers GET /health (reachable, whatever the token). */
  serverUp(): Promise<boolean>;
  onMessage(data: string): void;
  onState(state: ConnectionState): void;
  /** Waits between tries, the last repeated (default 0.5, 1, 2, 4, 8 s). */
  delaysMs?: readonly number[];
}

const DEFAULT_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
/** Refusals in a row, with the server up, before the token is taken to be the reason. */
const REFUSALS_TO_GIVE_UP = 2;

export class ReconnectingSocket {
  private socket: SocketLike | null = null;
  private current: ConnectionState = { status: 'connecting' };
  private epoch = 0;
  private everOpened = false;
  private attempt = 0;
  private refusals = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: ReconnectOptions) {
    this.connect();
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** Sends when connected; false when not (the caller says so). */
  send(text: string): boolean {
    if (this.current.status !== 'open' || !this.socket) return false;
    this.socket.send(text);
    return true;
  }

  /** Try now instead of waiting for the backoff (a user's "Reconnect now"). */
  retryNow(): void {
    if (this.current.status !== 'reconnecting' && this.current.status !== 'token-refused') return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.refusals = 0;
    this.connect();
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close();
  }

  private set(state: ConnectionState): void {
    this.current = state;
    this.options.onState(state);
  }

  private connect(): void {
    if (this.stopped) return;
    let opened = false;
    let ws: SocketLike;
    try {
      ws = this.options.open();
    } catch {
      void this.retry(false);
      return;
    }
    this.socket = ws;
    ws.onopen = () => {
      opened = true;
      if (this.everOpened) this.epoch++;
      this.everOpened = true;
      this.attempt = 0;
      this.refusals = 0;
      this.set({ status: 'open', epoch: this.epoch });
    };
    ws.onmessage = (m) => this.options.onMessage(String(m.data));
    // A failed open is followed by close, which decides what happens next.
    ws.onerror = () => {};
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = null;
      if (!this.stopped) void this.retry(opened);
    };
  }

  private async retry(wasOpen: boolean): Promise<void> {
    if (!wasOpen) {
      const up = await this.options.serverUp().catch(() => false);
      this.refusals = up ? this.refusals + 1 : 0;
      if (this.refusals >= REFUSALS_TO_GIVE_UP) {
        this.set({ status: 'token-refused', everOpened: this.everOpened });
        return;
      }
    }
    if (this.stopped) return;
    const delays = this.options.delaysMs ?? DEFAULT_DELAYS_MS;
    const delay = delays[Math.min(this.attempt, delays.length - 1)];
    this.attempt++;
    this.set({ status: 'reconnecting', attempt: this.attempt, nextTryAt: Date.now() + delay, everOpened: this.everOpened });
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }
}
