import { createContext, useContext, useEffect, useState } from 'react';
import type { ApiClient, ApiEvents, EventName } from '../../../preload/api';
import type { ConnectionSource } from './client';
import type { ConnectionState } from './reconnectingSocket';

export const ClientContext = createContext<ApiClient | null>(null);

export function useClient(): ApiClient {
  const c = useContext(ClientContext);
  if (!c) throw new Error('useClient outside ClientContext');
  return c;
}

export function useEvent<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void, deps: unknown[] = []): void {
  const client = useClient();
  useEffect(() => client.on(event, listener), [client, event, ...deps]);
}

/** Re-render every `ms` while `active` (running timers such as elapsed time). */
export function useTicker(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return now;
}

const ALWAYS_OPEN: ConnectionState = { status: 'open', epoch: 0 };

function connectionSource(client: ApiClient): ConnectionSource | null {
  return 'onConnection' in client ? (client as unknown as ConnectionSource) : null;
}

/** The connection to the core (browser mode reconnects by itself; Electron's IPC is always open). */
export function useConnection(): ConnectionState & { retryNow: () => void } {
  const client = useClient();
  const source = connectionSource(client);
  const [state, setState] = useState<ConnectionState>(() => source?.connection() ?? ALWAYS_OPEN);
  useEffect(() => {
    if (!source) return;
    setState(source.connection());
    return source.onConnection(setState);
  }, [source]);
  return { ...state, retryNow: () => source?.retryNow() };
}

/** Whether the core can be asked now: views must not draw conclusions ("not in the Library") from data they could not load. */
export function useConnected(): boolean {
  return useConnection().status === 'open';
}
