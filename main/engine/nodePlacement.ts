/**
 * Which nodes of a GPU session onnxruntime ran on the CPU instead. ORT splits a graph between
 * the EP asked for and the CPU EP when the EP lacks a kernel (an op, a type, an attribute), and
 * says so only in verbose logs that go to native stderr. Its session profile (a Chrome trace
 * JSON) names the provider of every node it ran, with the time each took, so the first run of
 * every GPU session is profiled and read back here: the share of nodes, and of node time, that
 * fell back, and which ops they were. CPU sessions are not profiled (nothing can fall back).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { EngineExecutionProvider } from '../../preload/contract/engine';

/** The profile's provider names for the EPs the app uses. */
const PROVIDER_NAMES: Record<EngineExecutionProvider, string> = {
  cpu: 'CPUExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
};

export interface NodePlacement {
  /** The session's execution provider. */
  ep: EngineExecutionProvider;
  /** Distinct nodes that ran. */
  nodes: number;
  /** Of those, nodes that ran on the CPU EP in a session made for another EP. */
  cpuNodes: number;
  /** 100 * cpuNodes / nodes. */
  cpuNodePct: number;
  /** 100 * CPU node time / all node time, over the profiled runs. */
  cpuTimePct: number;
  /** The op types that fell back, each with its node count, most first. */
  cpuOps: { op: string; nodes: number }[];
}

interface ProfileEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; provider?: string };
}

/**
 * Reads ORT's profile events (the JSON array it writes). A node is a "<name>_kernel_time" event
 * of category "Node"; the same node over several runs counts once, its times add up.
 */
export function nodePlacementOf(events: readonly ProfileEvent[], ep: EngineExecutionProvider): NodePlacement {
  const nodes = new Map<string, { op: string; cpu: boolean; us: number }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.provider) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    const seen = nodes.get(name);
    const us = typeof e.dur === 'number' && Number.isFinite(e.dur) ? e.dur : 0;
    if (seen) seen.us += us;
    else nodes.set(name, { op: e.args.op_name ?? '?', cpu: ep !== 'cpu' && e.args.provider === PROVIDER_NAMES.cpu, us });
  }
  const all = [...nodes.values()];
  const cpu = all.filter((n) => n.cpu);
  const totalUs = all.reduce((a, n) => a + n.us, 0);
  const cpuUs = cpu.reduce((a, n) => a + n.us, 0);
  const ops = new Map<string, number>();
  for (const n of cpu) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
  return {
    ep,
    nodes: all.length,
    cpuNodes: cpu.length,
    cpuNodePct: all.length === 0 ? 0 : (100 * cpu.length) / all.length,
    cpuTimePct: totalUs === 0 ? 0 : (100 * cpuUs) / totalUs,
    cpuOps: [...ops].map(([op, count]) => ({ op, nodes: count })).sort((a, b) => b.nodes - a.nodes || a.op.localeCompare(b.op)),
  };
}

/** "3 of 120 nodes (2.5%, 11% of node time) ran on the CPU: ScatterND x2, TopK". */
export function describeNodePlacement(p: NodePlacement): string {
  if (p.cpuNodes === 0) return `all ${p.nodes} nodes ran on ${p.ep.toUpperCase()}`;
  const ops = p.cpuOps.map((o) => (o.nodes > 1 ? `${o.op} x${o.nodes}` : o.op)).join(', ');
  return `${p.cpuNodes} of ${p.nodes} nodes (${p.cpuNodePct.toFixed(1)}%, ${p.cpuTimePct.toFixed(1)}% of node time) ran on the CPU instead of ${p.ep.toUpperCase()}: ${ops}`;
}

/**
 * Environment variable: the EPs whose sessions' first run is profiled, comma-separated (default
 * "cuda,webgpu"; "none" for none). Adding "cpu" reports node counts of CPU sessions too (nothing
 * falls back there); tests use it to run the whole path on a machine without a GPU.
 */
export const PROFILE_PLACEMENT_ENV = 'SAE_WORKBENCH_PROFILE_PLACEMENT';

function profiledFromEnv(raw = process.env[PROFILE_PLACEMENT_ENV]): EngineExecutionProvider[] {
  if (raw === undefined || raw.trim() === '') return ['cuda', 'webgpu'];
  return raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s): s is EngineExecutionProvider => s in PROVIDER_NAMES);
}

const profiled = new Set<EngineExecutionProvider>(profiledFromEnv());
export function profilePlacementOf(eps: readonly EngineExecutionProvider[]): void {
  profiled.clear();
  for (const ep of eps) profiled.add(ep);
}

/** Session options that make ORT profile the session, in a folder of its own; null: not profiled. */
export function placementProfiling(ep: EngineExecutionProvider): { options: Pick<ort.InferenceSession.SessionOptions, 'enableProfiling' | 'profileFilePrefix'>; dir: string } | null {
  if (!profiled.has(ep)) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-placement-'));
  return { options: { enableProfiling: true, profileFilePrefix: path.join(dir, 'ort') }, dir };
}

/**
 * After the session's first run: ends profiling (later runs cost nothing), reads the profile,
 * removes its folder and hands the placement to `report`. A profile that cannot be read is
 * reported as nothing (the placement is a diagnosis, never a reason for a job to fail).
 */
export function watchFirstRun(session: ort.InferenceSession, ep: EngineExecutionProvider, dir: string, report: (p: NodePlacement) => void): void {
  const run = session.run.bind(session) as (...args: unknown[]) => Promise<ort.InferenceSession.OnnxValueMapType>;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    try {
      session.endProfiling();
      const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
      if (file) report(nodePlacementOf(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as ProfileEvent[], ep));
    } catch {
      // A missing or partial profile: no placement to report.
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  // Released without a run: nothing to report, but the profile's folder goes.
  const release = session.release.bind(session);
  (session as { release: unknown }).release = async () => {
    if (!done) {
      done = true;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return release();
  };
  (session as { run: unknown }).run = async (...args: unknown[]) => {
    try {
      return await run(...args);
    } finally {
      (session as { run: unknown }).run = run;
      finish();
    }
  };
}
