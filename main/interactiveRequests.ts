/**
 * Every interactive request the core hands to its interactive worker (main/interactive/): work a
 * user waits for that must not run on the core's event loop. Like main/jobKinds.ts this table
 * sits above the features; the core reads only the timeouts, the worker runs the requests, and
 * heavy imports stay inside run(). A new interactive feature adds one entry here and calls
 * `services.interactive.request(name, params)` from its handler.
 */
import type { PromptSideRequest } from './prompt/promptRun';
import type { DeviceChoice } from './engine/executionProviders';
import type { InteractiveRequestTable } from './interactive/protocol';
import type { ActsParams, EncodeParams } from '../preload/api';

export const interactiveRequests = {
  /** Tokenize, run both models to their SAE hooks, encode: models stay loaded between runs. */
  'prompt.run': {
    timeoutMs: 180_000,
    run: async (p: { text: string; sides: PromptSideRequest[]; topFeatures?: number; device?: DeviceChoice }) => (await import('./prompt/promptRun')).runPrompt(p),
  },
  /** Walk a folder the user adds to the Library and recognise its items (reads configs, headers, checks weights). */
  'library.recognize': {
    timeoutMs: 300_000,
    run: async (p: { path: string }) => (await import('./library/scanLibrary')).recognizeLocalRoot(p.path),
  },
  /** Open a one-node graph on a device choice: native EP initialisation never runs in the core. */
  'engine.devices': {
    timeoutMs: 120_000,
    run: async (p: { device: DeviceChoice }) => (await import('./engine/deviceProbe')).probeDevice(p.device),
  },
  /** Whether the CUDA provider files and their system libraries are in place (reads the ld.so cache: not on the core's loop). */
  'engine.cudaStatus': {
    timeoutMs: 30_000,
    run: async () => (await import('./setup/cudaSetup')).setupCuda({ install: false }),
  },
  /** The CLI's `acts` for API clients (notebooks): hook activations as tensors. */
  'engine.acts': {
    timeoutMs: 600_000,
    run: async (p: ActsParams) => (await import('./activations/tensorRequests')).actsRequest(p),
  },
  /** The CLI's `encode` for API clients: feature_acts (dense or sparse) and sae_out of given activations. */
  'engine.encode': {
    timeoutMs: 600_000,
    run: async (p: EncodeParams) => (await import('./activations/tensorRequests')).encodeRequest(p),
  },
  /** An index's sparse store as columns (reads the whole store: never on the core's event loop). */
  'index.activations': {
    timeoutMs: 300_000,
    run: async (p: { id: string; features?: number[]; documents?: number[]; maxRows: number }, { home }: { home: string }) => (await import('./index/activationRows')).indexActivationsRequest(home, p),
  },
} satisfies InteractiveRequestTable;
