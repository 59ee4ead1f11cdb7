import type { EngineDeviceReport } from '../../preload/api';
import type { HandlerTable } from './handlers';

export const engineHandlers: HandlerTable<'engine.devices'> = {
  // EP initialisation is native code (CUDA, WebGPU adapters): it runs in the interactive worker.
  'engine.devices': ({ device }, s) => s.interactive.request<EngineDeviceReport>('engine.devices', { device }),
};
