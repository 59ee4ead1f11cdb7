import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCore } from './api/core';
import { LibraryCatalog } from './library/libraryCatalog';
import { acquireHomeLock, isProcessAlive } from './lock';
import { makeTempDir } from './testing/tempDirs';

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '..');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

function temp(label: string): string {
  const t = makeTempDir(label);
  cleanups.push(t.cleanup);
  return t.dir;
}

const message = (child: ChildProcess) => new Promise<unknown>((resolve) => child.once('message', resolve));

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return predicate();
}

describe('INTERNAL errors', () => {
  it('reach the client as a message with an error id; the stack and paths only reach the log', async () => {
    const home = temp('internal');
    const core = createCore({ home, frontDoor: 'test' });
    cleanups.push(() => core.close());
    vi.spyOn(LibraryCatalog.prototype, 'listing').mockImplementation(() => {
      throw new TypeError(`Cannot read properties of undefined (reading 'x') at ${home}/private/thing.json`);
    });
    const res = await core.call('library.list', {});
    if (res.ok) throw new Error('expected an error');
    expect(res.error).toMatchObject({ code: 'INTERNAL', errorId: expect.stringMatching(/^[0-9a-f]{12}$/), message: expect.stringContaining(res.error.errorId!) });
    expect(JSON.stringify(res.error)).not.toContain(home);
    expect(JSON.stringify(res.error)).not.toContain('properties of undefined');
    const logged = fs.readFileSync(path.join(home, 'logs/core.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
    const entry = logged.find((l) => l.errorId === res.error.errorId);
    expect(entry?.error).toContain(`${home}/private/thing.json`);
    expect(entry?.error).toMatch(/TypeError[\s\S]*at /);
  });
});

describe('the process guard', () => {
  it('logs an uncaught exception with its stack and keeps serving; a storm of them stops the core cleanly', async () => {
    const home = temp('guard');
    const child = fork(path.join(here, 'testing/guardedCoreChild.ts'), [home], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    cleanups.push(() => child.kill('SIGKILL'));
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    expect(await message(child)).toBe('ready');
    child.send('throw');
    child.send('reject');
    await new Promise((r) => setTimeout(r, 200));
    child.send('ping');
    expect(await message(child)).toBe('pong');
    expect(output).toMatch(/unexpected error \(error id [0-9a-f]{12}\): cannot read .*The core keeps running/s);
    const log = fs.readFileSync(path.join(home, 'logs/core.log'), 'utf8');
    expect(log).toMatch(/uncaughtException.*TypeError: cannot read .*secret\/internal\.bin\\n {4}at /);
    expect(log).toMatch(/unhandledRejection.*a promise nobody awaited/);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 5; i++) child.send('throw');
    expect(await exited).toBe(70);
    expect(output).toMatch(/unexpected errors within a minute: stopping cleanly/);
    expect(output).toMatch(/stopped: repeated unexpected errors/);
    // Stopped cleanly: the lock is free and its pid file gone.
    expect(fs.existsSync(path.join(home, 'core.lock'))).toBe(false);
    acquireHomeLock(home)();
  });

  it.each(['SIGKILL', 'SIGTERM'] as const)('a core started by `npm run` stops when npm is killed (%s): no orphan holds the port and the lock', async (signal) => {
    const home = temp('orphan');
    const renderer = path.join(home, 'renderer');
    fs.mkdirSync(renderer);
    fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html>');
    const npm = spawn('npm', ['run', '--silent', 'cli', '--', 'serve', '--port', '0', '--home', path.join(home, 'h'), '--renderer', renderer], {
      cwd: projectRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    });
    let output = '';
    npm.stdout!.on('data', (d) => (output += d));
    npm.stderr!.on('data', (d) => (output += d));
    expect(await waitFor(() => /Serving on http:\/\/127\.0\.0\.1:(\d+)/.test(output), 60_000), output).toBe(true);
    const port = Number(/Serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1]);
    const corePid = Number(fs.readFileSync(path.join(home, 'h', 'core.lock'), 'utf8'));
    expect(corePid).not.toBe(npm.pid);
    npm.kill(signal);
    expect(await waitFor(() => !isProcessAlive(corePid), 15_000), `core ${corePid} still alive after npm got ${signal}:\n${output}`).toBe(true);
    acquireHomeLock(path.join(home, 'h'))();
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => resolve(false));
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
