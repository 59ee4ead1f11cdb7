import { z } from 'zod';
import { method } from './define';

export const ENGINE_DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;
export type EngineDeviceChoice = (typeof ENGINE_DEVICES)[number];
export type EngineExecutionProvider = Exclude<EngineDeviceChoice, 'auto'>;

/** One execution provider tried for a session, and why it failed. */
export interface EngineEpAttempt {
  ep: EngineExecutionProvider;
  ok: boolean;
  /** ORT's reason when it failed (first line, source location stripped). */
  reason?: string;
  /** What that EP needs, when it failed. */
  requirement?: string;
  /** What the EP printed natively on stderr while it was tried (e.g. Dawn's Vulkan warning), captured here instead. */
  notes?: string[];
}

/** Which EP the engine runs on for a device choice, and why the ones before it were skipped. */
export interface EngineDeviceReport {
  requested: EngineDeviceChoice;
  running: EngineExecutionProvider;
  attempts: EngineEpAttempt[];
}

/** What `setup cuda` found (and did): onnxruntime-node's CUDA provider files and the system libraries they load. */
export interface CudaSetupReport {
  /** linux/x64 is the only platform onnxruntime-node ships a CUDA provider for. */
  platform: string;
  /** Where onnxruntime-node keeps its native libraries (the provider files go there). */
  bindingDir: string;
  /** Whether this call ran the installer (false: only checked, or the files were there and no reinstall was asked). */
  installed: boolean;
  providerFiles: { file: string; present: boolean; bytes: number | null }[];
  systemLibraries: { soname: string; what: string; found: string | null }[];
  /** Provider files in place and every system library found: `--device cuda` can load (given a driver and a GPU). */
  ready: boolean;
  /** One sentence: what is missing and what to do, or that CUDA is ready to be tried. */
  next: string;
}

/** The job that fetches the CUDA provider with onnxruntime-node's own installer. */
export const SETUP_CUDA_KIND = 'setup.cuda';
export const SetupCudaParamsSchema = z
  .object({
    /** Fetch the provider files even when they are present (a damaged or older copy). */
    reinstall: z.boolean().default(false),
  })
  .strict();
export type SetupCudaParams = z.infer<typeof SetupCudaParamsSchema>;

export const engineContract = {
  /** Opens a tiny graph on the choice (default auto: CUDA, WebGPU, CPU) and reports what runs. */
  'engine.devices': method<EngineDeviceReport>()(z.object({ device: z.enum(ENGINE_DEVICES).default('auto') }).strict()),
  /** Checks, without installing, whether the CUDA provider and its CUDA 12 / cuDNN 9 libraries are in place (install: job kind `setup.cuda`). */
  'engine.cudaStatus': method<CudaSetupReport>()(z.object({}).strict()),
};
