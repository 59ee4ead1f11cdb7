import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../api/core';
import { connectionFilePath, writeConnectionFile } from '../server/connectionFile';
import { startBrowserServer } from '../server/server';
import { WorkbenchError } from '../errors';
import { guardProcess, wrapperPids } from '../processGuard';
import type { CliCommand } from './command';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run the app in browser mode on 127.0.0.1 (core in Node, UI in your browser), or with --headless the API alone (for scripts and notebooks).',
  usage: 'sae-workbench serve [--port N] [--home DIR] [--renderer DIR | --headless]',
  options: { port: { type: 'string' }, renderer: { type: 'string' }, headless: { type: 'boolean' } },
  async run({ values }, ctx) {
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new WorkbenchError('BAD_ARGUMENT', `--port must be an integer 0-65535, got "${values.port}".`, 'Use --port 0 to pick any free port.');
    }
    const headless = values.headless === true;
    if (headless && values.renderer !== undefined) throw new WorkbenchError('BAD_ARGUMENT', '--headless serves no renderer: give --headless or --renderer, not both.', serveCommand.usage);
    const core = createCore({ home: ctx.home, frontDoor: 'browser' });
    let server;
    let removeConnectionFile = () => {};
    try {
      server = await startBrowserServer({ core, port, staticDir: headless ? null : ((values.renderer as string | undefined) ?? path.join(projectRoot, 'out/renderer')) });
      // Scripts and notebooks on this machine find the core (port and token) here; removed when it stops.
      removeConnectionFile = writeConnectionFile(ctx.home, { version, port: server.port, token: server.token, headless });
    } catch (err) {
      await server?.close();
      await core.close();
      throw err;
    }
    ctx.stdout(headless ? `Serving the API (headless) on ws://127.0.0.1:${server.port}/api; token in ${connectionFilePath(ctx.home)}` : `Serving on ${server.url}`);
    ctx.stdout(`Data directory: ${ctx.home}. Press Ctrl+C to stop.`);
    let unguard = () => {};
    const exitCode = await new Promise<number>((resolve) => {
      process.once('SIGINT', () => resolve(0));
      process.once('SIGTERM', () => resolve(0));
      unguard = guardProcess({ log: core.log, stop: (_reason, code) => resolve(code), watchPids: wrapperPids() });
    });
    ctx.stdout('Stopping: running jobs checkpoint and stop...');
    removeConnectionFile();
    await server.close();
    await core.close();
    unguard();
    return exitCode;
  },
};
