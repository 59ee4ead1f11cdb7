import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import { WorkbenchError } from '../errors';
import type { ModelSource } from './onnx/graphBuilder';
import { placementProfiling, watchFirstRun } from './nodePlacement';
import { noteNodePlacement, noteSessionProvider } from './sessionProviders';
import { probeWebGpuOnce } from './webgpuProbe';
import { ENGINE_DEVICES, type EngineDeviceChoice, type EngineDeviceReport, type EngineEpAttempt, type EngineExecutionProvider } from '../../preload/contract/engine';

// The types live in the contract so the Settings page shows exactly what the engine reports.
export type ExecutionProvider = EngineExecutionProvider;
export type DeviceChoice = EngineDeviceChoice;
export const DEVICE_CHOICES: readonly DeviceChoice[] = ENGINE_DEVICES;
/** Why one EP was or was not used. */
export type EpAttempt = EngineEpAttempt;
export type EpReport = EngineDeviceReport;

/** 'auto' prefers a GPU; ORT does not fall back by itself, so each is tried in turn. */
export function candidateProviders(choice: DeviceChoice): ExecutionProvider[] {
  if (choice === 'auto') return ['cuda', 'webgpu', 'cpu'];
  if (choice === 'cuda' || choice === 'webgpu') return [choice, 'cpu'];
  return ['cpu'];
}

export function parseDeviceChoice(value: string | undefined, field = '--device'): DeviceChoice {
  if (value === undefined) return 'auto';
  if ((DEVICE_CHOICES as readonly string[]).includes(value)) return value as DeviceChoice;
  throw new WorkbenchError('ENGINE_DEVICE', `${field} "${value}" is not a device.`, `Use one of: ${DEVICE_CHOICES.join(', ')}.`);
}

/** ORT's message without its source-location prefix ("/onnxruntime_src/...cc:136 fn() cond was false."). */
function cleanReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const line = (msg.split('\n').find((l) => l.trim().length > 0) ?? msg).trim();
  const tail = line.replace(/^\/\S+:\d+ .*? was false\. /, '');
  return tail.length > 400 ? `${tail.slice(0, 400)}...` : tail;
}

/** What the user can do when an EP cannot start: shown next to ORT's reason. */
export const EP_REQUIREMENTS: Record<ExecutionProvider, string> = {
  cuda: 'CUDA needs an NVIDIA driver, CUDA 12 and cuDNN 9, and the CUDA provider libraries of onnxruntime-node (libonnxruntime_providers_cuda.so), which the default install skips: `sae-workbench setup cuda` (or Settings > Install CUDA provider) fetches them and checks the rest.',
  webgpu: 'WebGPU needs a GPU with a Vulkan driver and the Vulkan loader (libvulkan.so.1, Debian package libvulkan1).',
  cpu: 'CPU always works unless the graph itself is invalid.',
};

// ORT logs a failed EP load at error level on stderr before throwing; the failure is reported
// through EpReport instead, so only fatal messages are let through (unless set by the host).
if (ort.env.logLevel === 'warning') ort.env.logLevel = 'fatal';

/** EPs that failed once in this process are not retried: each try costs seconds on some machines. */
const knownFailures = new Map<ExecutionProvider, { reason: string; notes?: string[] }>();

/** The report of the latest session creation, for display ("which EP runs and why"). */
let lastReport: EpReport | null = null;
export function lastEpReport(): EpReport | null {
  return lastReport;
}

/** Environment variable: ORT intra-op threads per session (default: ORT's choice, about one per core). */
export const THREADS_ENV = 'SAE_WORKBENCH_THREADS';

/** The intra-op thread count asked for in SAE_WORKBENCH_THREADS, or undefined for ORT's default. */
export function intraOpThreads(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[THREADS_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new WorkbenchError('ENGINE_THREADS', `${THREADS_ENV}="${raw}" is not a thread count.`, `Set ${THREADS_ENV} to a whole number from 1 to 1024, or unset it to let onnxruntime choose.`);
  return n;
}

/**
 * Options of every session. use_deterministic_compute asks EPs for their deterministic kernels
 * where they have a choice (CUDA); on CPU every graph the app builds is free of racing kernels by
 * construction (see train/latentRowSums.ts), so results do not depend on the thread count.
 */
export function sessionOptions(ep: ExecutionProvider, threads = intraOpThreads()): ort.InferenceSession.SessionOptions {
  return {
    logSeverityLevel: 3,
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    extra: { session: { use_deterministic_compute: '1' } },
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
  };
}

/**
 * Creates a session on the first EP of `choice` that works. The report lists every EP tried,
 * with ORT's reason for each one that failed.
 */
export async function createSessionWithFallback(model: Uint8Array | ModelSource, choice: DeviceChoice): Promise<{ session: ort.InferenceSession; report: EpReport }> {
  const source: ModelSource = model instanceof Uint8Array ? { kind: 'bytes', bytes: model } : model;
  try {
    return await createOnFirstWorkingEp(source, choice);
  } finally {
    // A loaded session keeps its weights in memory (or an unlinked mapping), so the files can go.
    if (source.kind === 'file') source.cleanup();
  }
}

async function createOnFirstWorkingEp(source: ModelSource, choice: DeviceChoice): Promise<{ session: ort.InferenceSession; report: EpReport }> {
  const attempts: EpAttempt[] = [];
  // Read before any EP is tried: a bad value is the user's to fix, not an EP failure.
  const threads = intraOpThreads();
  for (const ep of candidateProviders(choice)) {
    const known = knownFailures.get(ep);
    if (known !== undefined) {
      attempts.push({ ep, ok: false, reason: `failed earlier in this process: ${known.reason}`, requirement: EP_REQUIREMENTS[ep], ...(known.notes ? { notes: known.notes } : {}) });
      continue;
    }
    if (ep === 'webgpu') {
      const probe = await probeWebGpuOnce();
      if (!probe.ok) {
        const reason = cleanReason(probe.reason);
        attempts.push({ ep, ok: false, reason, requirement: EP_REQUIREMENTS[ep], ...(probe.notes.length ? { notes: probe.notes } : {}) });
        knownFailures.set(ep, { reason, ...(probe.notes.length ? { notes: probe.notes } : {}) });
        continue;
      }
    }
    try {
      // A GPU session's first run is profiled: which nodes ORT left on the CPU (nodePlacement.ts).
      const profiling = placementProfiling(ep);
      const options: ort.InferenceSession.SessionOptions = { ...sessionOptions(ep, threads), ...profiling?.options };
      let session: ort.InferenceSession;
      try {
        session = source.kind === 'bytes' ? await ort.InferenceSession.create(source.bytes, options) : await ort.InferenceSession.create(source.path, options);
      } catch (err) {
        if (profiling) fs.rmSync(profiling.dir, { recursive: true, force: true });
        throw err;
      }
      if (profiling) watchFirstRun(session, ep, profiling.dir, noteNodePlacement);
      attempts.push({ ep, ok: true });
      noteSessionProvider(ep);
      const report: EpReport = { requested: choice, running: ep, attempts };
      lastReport = report;
      return { session, report };
    } catch (err) {
      const reason = cleanReason(err);
      attempts.push({ ep, ok: false, reason, requirement: EP_REQUIREMENTS[ep] });
      // A CPU failure is about the graph, not the machine: do not blacklist it.
      if (ep !== 'cpu') knownFailures.set(ep, { reason });
      else throw new WorkbenchError('ENGINE_SESSION', `onnxruntime could not load the graph on CPU: ${reason}`, 'This is a bug in the graph builder; report it with the model config.', { cause: err });
    }
  }
  throw new WorkbenchError('ENGINE_SESSION', `No execution provider could run the graph (${attempts.map((a) => `${a.ep}: ${a.reason}`).join('; ')}).`, 'Choose --device cpu.');
}

/** Forget remembered EP failures (after the user installs drivers, for example). */
export function resetEpFailures(): void {
  knownFailures.clear();
}
