import { createContext, useContext, useEffect, useState } from 'react';
import type { ApiClient, ApiEvents, EventName } from '../../../preload/api';

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
