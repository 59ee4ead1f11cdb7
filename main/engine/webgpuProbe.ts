import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { GraphBuilder } from './onnx/graphBuilder';

/** The smallest graph that makes an EP initialise (adapter, context): one Relu. */
export function probeGraph(): Uint8Array {
  const g = new GraphBuilder('probe');
  g.output(g.relu(g.input('x', 'float32', [1])), 'y', 'float32', [1]);
  return g.toBytes();
}

export interface WebGpuProbe {
  ok: boolean;
  /** onnxruntime's error when no session could be made. */
  reason?: string;
  /** What the EP printed natively on stderr while it looked for an adapter (Dawn's Vulkan warnings). */
  notes: string[];
}

const PROBE_TIMEOUT_MS = 30_000;

// Runs in a bare Node (or Electron as Node): graph bytes on stdin, the error (if any) on stdout.
const PROBE_SCRIPT = `
const ort = require(process.argv[1]);
ort.env.logLevel = 'fatal';
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  ort.InferenceSession.create(new Uint8Array(Buffer.concat(chunks)), { executionProviders: ['webgpu'], logSeverityLevel: 3 }).then(
    (s) => s.release().then(() => process.exit(0)),
    (e) => { process.stdout.write(String(e && e.message || e)); process.exit(3); },
  );
});`;

let probe: Promise<WebGpuProbe> | null = null;

/**
 * onnxruntime's WebGPU EP (Dawn) prints native warnings straight to the process's stderr while
 * it looks for an adapter ("Warning: Couldn't load Vulkan: libvulkan.so.1 ..."), where no JS can
 * catch them and they land raw before a command's output. So a process's first WebGPU try runs in
 * a short-lived child whose stderr is captured into the EP report; the real session is created in
 * process only when the child found an adapter. Once per process.
 */
export function probeWebGpuOnce(): Promise<WebGpuProbe> {
  probe ??= runProbe();
  return probe;
}

function runProbe(): Promise<WebGpuProbe> {
  const ortEntry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', PROBE_SCRIPT, ortEntry], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `the WebGPU probe could not start: ${e.message}`, notes: [] });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const notes = nativeNotes(err);
      if (code === 0) resolve({ ok: true, notes });
      else resolve({ ok: false, reason: out.trim() || (signal ? `the WebGPU probe was killed (${signal}) after ${PROBE_TIMEOUT_MS / 1000}s` : `the WebGPU probe exited with code ${code}`), notes });
    });
    child.stdin.end(Buffer.from(probeGraph()));
  });
}

/** Dawn's messages without their source-location lines ("    at operator() (/build/...cpp:368)"). */
export function nativeNotes(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^at .*\(.*:\d+\)$/.test(l));
}
