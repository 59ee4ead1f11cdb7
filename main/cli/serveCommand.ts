import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../api/core';
import { startBrowserServer } from '../server/server';
import { WorkbenchError } from '../errors';
import { guardProcess, wrapperPids } from '../processGuard';
import type { CliCommand } from './command';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run the app in browser mode on 127.0.0.1 (core in Node, UI in your browser).',
  usage: 'sae-workbench serve [--port N] [--home DIR] [--renderer DIR]',
  options: { port: { type: 'string' }, renderer: { type: 'string' } },
  async run({ values }, ctx) {
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new WorkbenchError('BAD_ARGUMENT', `--port must be an integer 0-65535, got "${values.port}".`, 'Use --port 0 to pick any free port.');
    }
    const core = createCore({ home: ctx.home, frontDoor: 'browser' });
    let server;
    try {
      server = await startBrowserServer({ core, port, staticDir: (values.renderer as string | undefined) ?? path.join(projectRoot, 'out/renderer') });
    } catch (err) {
      await core.close();
      throw err;
    }
    ctx.stdout(`Serving on ${server.url}`);
    ctx.stdout(`Data directory: ${ctx.home}. Press Ctrl+C to stop.`);
    let unguard = () => {};
    const exitCode = await new Promise<number>((resolve) => {
      process.once('SIGINT', () => resolve(0));
      process.once('SIGTERM', () => resolve(0));
      unguard = guardProcess({ log: core.log, stop: (_reason, code) => resolve(code), watchPids: wrapperPids() });
    });
    ctx.stdout('Stopping: running jobs checkpoint and stop...');
    await server.close();
    await core.close();
    unguard();
    return exitCode;
  },
};
