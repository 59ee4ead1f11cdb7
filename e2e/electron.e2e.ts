import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { projectRoot, tempHome } from './harness';

/** The Electron binary is never downloaded on CI machines: this suite runs only where it exists. */
function electronBinary(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (!binary) console.log('[e2e] Electron e2e NOT RUN: the Electron binary is not installed on this machine (browser-mode e2e ran instead).');

describe.runIf(binary)('Electron window (runs only where the Electron binary exists)', () => {
  it('opens a sandboxed window with the shell', async () => {
    const app = await electron.launch({ executablePath: binary!, args: [projectRoot], env: { ...process.env, WORKBENCH_HOME: tempHome('electron') } });
    const win = await app.firstWindow();
    await win.getByRole('navigation', { name: 'Main' }).waitFor();
    // Isolation as the page sees it: no Node globals, only the bridge the preload exposed.
    const seen = await win.evaluate('({ require: typeof require, process: typeof process, bridge: typeof window.workbench?.call })');
    expect(seen).toEqual({ require: 'undefined', process: 'undefined', bridge: 'function' });
    await win.screenshot({ path: path.join(projectRoot, 'e2e-output', 'electron-shell.png') });
    await app.close();
  });
});
