import type { ApiEvents, EventName } from '../../preload/api';

export type AnyEventListener = (event: EventName, payload: unknown) => void;

/** Core -> front doors. Every transport subscribes once and forwards what it is sent. */
export class EventBus {
  private readonly listeners = new Set<AnyEventListener>();

  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    for (const l of this.listeners) {
      try {
        l(event, payload);
      } catch {
        // A broken transport must not break the core or the other transports.
      }
    }
  }

  subscribe(listener: AnyEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
