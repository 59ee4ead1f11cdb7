/**
 * The Electron preload: exposes exactly the API client (call + events) over IPC. Nothing else of
 * Node or Electron reaches the renderer.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { WireEvent } from './api';

const bridge = {
  call: (method: string, params: unknown) => ipcRenderer.invoke('workbench:call', method, params),
  onEvent: (listener: (e: WireEvent) => void) => {
    const wrapped = (_: unknown, e: WireEvent) => listener(e);
    ipcRenderer.on('workbench:event', wrapped);
    return () => ipcRenderer.removeListener('workbench:event', wrapped);
  },
};

contextBridge.exposeInMainWorld('workbench', bridge);
export type WorkbenchBridge = typeof bridge;
