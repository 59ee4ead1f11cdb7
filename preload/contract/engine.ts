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

export const engineContract = {
  /** Opens a tiny graph on the choice (default auto: CUDA, WebGPU, CPU) and reports what runs. */
  'engine.devices': method<EngineDeviceReport>()(z.object({ device: z.enum(ENGINE_DEVICES).default('auto') }).strict()),
};
