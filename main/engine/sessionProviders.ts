/**
 * Which execution providers this process's ONNX sessions actually ran on. Every session is made
 * by createSessionWithFallback (executionProviders.ts), which notes the EP it landed on here; a
 * job worker listens and reports each new one to the core, so the Queue shows what ran (a job
 * that asked for "auto" on a machine without a GPU ran on CPU), not what was asked for.
 * No onnxruntime import: a worker that runs no model never loads it.
 */
import type { EngineExecutionProvider } from '../../preload/contract/engine';
import type { NodePlacement } from './nodePlacement';

type Listener = (ep: EngineExecutionProvider) => void;

const used: EngineExecutionProvider[] = [];
const listeners = new Set<Listener>();

/** Called once per session created; listeners hear only EPs not seen before in this process. */
export function noteSessionProvider(ep: EngineExecutionProvider): void {
  if (used.includes(ep)) return;
  used.push(ep);
  for (const l of listeners) l(ep);
}

/** The EPs sessions of this process ran on, in the order first used. */
export function sessionProvidersUsed(): readonly EngineExecutionProvider[] {
  return used;
}

export function onSessionProvider(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * A job's execution provider as stored and shown: one EP ("cpu", "webgpu", "cuda"), or, when its
 * sessions fell back part-way (a graph the GPU EP refused), each EP in the order first used,
 * joined by "+" ("cuda+cpu"). null: it ran no model.
 */
export function mergeExecutionProvider(current: string | null, ep: EngineExecutionProvider): string {
  const parts = current ? current.split('+') : [];
  return parts.includes(ep) ? parts.join('+') : [...parts, ep].join('+');
}

type PlacementListener = (p: NodePlacement) => void;
const placementListeners = new Set<PlacementListener>();

/** Called after the first run of each profiled (GPU) session with where its nodes ran. */
export function noteNodePlacement(p: NodePlacement): void {
  for (const l of placementListeners) l(p);
}

export function onNodePlacement(listener: PlacementListener): () => void {
  placementListeners.add(listener);
  return () => placementListeners.delete(listener);
}
