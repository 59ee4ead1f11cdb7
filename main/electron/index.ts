/**
 * The Electron shell: a thin host around the core. Creates a locked-down window, forwards the
 * API over IPC, and runs job workers with utilityProcess. Everything else lives in the core.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, session, shell, utilityProcess } from 'electron';
import type { WireEvent } from '../../preload/api';
import { createCore, type Core } from '../api/core';
import { WorkbenchError } from '../errors';
import { resolveHome } from '../home';
import { guardProcess } from '../processGuard';
import { readHubToken, useSecretStore } from '../hub/token';
import { SafeStorageSecretStore } from './safeStorageSecrets';
import { INTERACTIVE_WORKER_ARG, type WorkerHandle, type WorkerSpawner } from '../jobs/workerHost';
import type { HostToWorker, WorkerToHost } from '../jobs/protocol';

const here = path.dirname(fileURLToPath(import.meta.url));
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Job workers as Electron utility processes (same worker entry as in Node). safeStorage exists
 * only in this main process, so a worker receives the Hub token decrypted, in its environment.
 */
class UtilityProcessSpawner implements WorkerSpawner {
  constructor(private readonly home: string) {}

  spawn<Out = HostToWorker, In = WorkerToHost>(arg: string): WorkerHandle<Out, In> {
    const { token } = readHubToken(this.home);
    const env = { ...process.env, SAE_WORKBENCH_WORKER: '1', ...(token ? { HF_TOKEN: token } : {}) };
    const child = utilityProcess.fork(path.join(here, 'worker.js'), [arg], { serviceName: arg === INTERACTIVE_WORKER_ARG ? 'interactive worker' : `job ${arg}`, stdio: 'inherit', env });
    return {
      get pid() {
        return child.pid;
      },
      send: (m) => child.postMessage(m),
      onMessage: (l) => child.on('message', (m: In) => l(m)),
      onExit: (l) => child.once('exit', (code) => l(code, null)),
      kill: () => child.kill(),
    };
  }
}

let core: Core | undefined;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'SAE Workbench',
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  // No navigation away from the app and no new windows; external links open in the browser.
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(path.join(here, '../renderer/index.html'));
  return win;
}

async function start(): Promise<void> {
  await app.whenReady();
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false));
  try {
    const home = resolveHome(process.env.WORKBENCH_HOME ?? app.getPath('userData'));
    useSecretStore((h) => new SafeStorageSecretStore(path.join(h, 'secrets')));
    core = createCore({ home, frontDoor: 'electron', spawner: new UtilityProcessSpawner(home) });
  } catch (err) {
    const e = err instanceof WorkbenchError ? err : new WorkbenchError('START_FAILED', String((err as Error).message ?? err));
    dialog.showErrorBox('SAE Workbench cannot start', `${e.message}${e.hint ? `\n\n${e.hint}` : ''}`);
    app.exit(1);
    return;
  }
  const c = core;
  // Uncaught errors are logged with their stack and the app keeps running; a storm of them quits cleanly.
  guardProcess({ log: c.log, stop: () => app.quit() });
  ipcMain.handle('workbench:call', (_e, method: string, params: unknown) => c.call(method, params));
  c.subscribe((event, payload) => {
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send('workbench:event', { event, payload } satisfies WireEvent);
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('before-quit', (e) => {
  if (!core) return;
  e.preventDefault();
  const c = core;
  core = undefined;
  void c.close().finally(() => app.quit());
});

void start();
