import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/tempDirs';
import { AbuseReport, loggedUncaught, makeSandbox, runServerAbuse, serveForAbuse, treeChanges, type Sandbox, type ServedCore } from '../testing/serverAbuse';

const tmp = makeTempDir('abuse');
let server: ServedCore;
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await makeSandbox(path.join(tmp.dir, 'sandbox'));
  server = await serveForAbuse(path.join(tmp.dir, 'served'));
}, 90_000);
afterAll(async () => {
  await server?.stop();
  await sandbox?.close();
  tmp.cleanup();
});

/**
 * The abuse suite, bounded for CI: every fixed malformed request target and WebSocket
 * violation, random targets and frames, the API pointed at loops, FIFOs and NaN weights, and 600
 * random API messages, against a real `serve` process. bench/abuseSuite.ts runs the long version.
 */
describe('browser mode under abuse', () => {
  it('answers every case clearly, stays up, and writes nothing outside its data directory', async () => {
    const before = sandbox.snapshot();
    const rendererBefore = fs.readdirSync(server.renderer).sort();
    const report = new AbuseReport();
    await runServerAbuse(server, sandbox, { seed: 12, http: 120, frames: 60, api: 600 }, report);
    expect(report.failures).toEqual([]);
    expect(report.cases).toBeGreaterThan(800);
    expect(report.healthChecks).toBe(report.cases);
    expect(server.child.exitCode).toBeNull();
    expect(loggedUncaught(server.home)).toEqual([]);
    expect(treeChanges(before, sandbox.snapshot())).toEqual([]);
    expect(fs.readdirSync(server.renderer).sort()).toEqual(rendererBefore);
    // The protocol cases were answered with the codes the RFC gives them.
    const ws = report.categories.get('ws: protocol (fixed)')!;
    expect(Object.fromEntries(ws.outcomes)).toMatchObject({ 'close 1002': expect.any(Number), 'close 1007': 1, 'close 1009': 2 });
    expect(report.categories.get('http: malformed (fixed)')!.outcomes.get('400')).toBeGreaterThanOrEqual(8);
  }, 300_000);
});
