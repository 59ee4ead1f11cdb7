import type { CudaSetupReport, EngineDeviceReport } from '../../preload/api';
import type { HandlerTable } from './handlers';

export const engineHandlers: HandlerTable<'engine.devices' | 'engine.cudaStatus'> = {
  // EP initialisation is native code (CUDA, WebGPU adapters): it runs in the interactive worker.
  'engine.devices': ({ device }, s) => s.interactive.request<EngineDeviceReport>('engine.devices', { device }),
  'engine.cudaStatus': (_p, s) => s.interactive.request<CudaSetupReport>('engine.cudaStatus', {}),
};
