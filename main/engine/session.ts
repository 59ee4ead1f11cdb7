import type * as ort from 'onnxruntime-node';
import { createSessionWithFallback, type DeviceChoice, type EpReport } from './executionProviders';
import type { GraphBuilder } from './onnx/graphBuilder';

export interface CachedSession {
  session: ort.InferenceSession;
  report: EpReport;
}

const MAX_SESSIONS = 12;
/** Insertion-ordered: the first key is the least recently used. */
const cache = new Map<string, Promise<CachedSession>>();

/**
 * The session for graph `key` on `device`, built with `build()` only on a miss. `key` must name
 * everything the graph depends on (weights identity, outputs, start hook).
 */
export function cachedSession(key: string, device: DeviceChoice, build: () => GraphBuilder | Uint8Array): Promise<CachedSession> {
  const fullKey = `${device}|${key}`;
  const hit = cache.get(fullKey);
  if (hit) {
    cache.delete(fullKey);
    cache.set(fullKey, hit);
    return hit;
  }
  const created = (async () => {
    const built = build();
    return createSessionWithFallback(built instanceof Uint8Array ? built : built.toModelSource(), device);
  })();
  cache.set(fullKey, created);
  created.catch(() => cache.delete(fullKey));
  while (cache.size > MAX_SESSIONS) {
    const oldest = cache.keys().next().value as string;
    // Not released here: a caller may still be running it; GC frees it once unreferenced.
    cache.delete(oldest);
  }
  return created;
}

/** Releases every cached session whose key starts with `prefix` (all when omitted). */
export async function releaseSessions(prefix = ''): Promise<void> {
  const doomed = [...cache.entries()].filter(([k]) => k.slice(k.indexOf('|') + 1).startsWith(prefix));
  for (const [k] of doomed) cache.delete(k);
  await Promise.all(doomed.map(([, p]) => p.then((s) => s.session.release()).catch(() => undefined)));
}

const weightIds = new WeakMap<object, number>();
let nextWeightId = 1;
/** A stable per-process id for a weights object, for session keys. */
export function weightsId(weights: object): number {
  let id = weightIds.get(weights);
  if (id === undefined) {
    id = nextWeightId++;
    weightIds.set(weights, id);
  }
  return id;
}
