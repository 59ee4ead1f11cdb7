import type { JobView } from '../../../../preload/api';

const NAMES: Record<string, string> = { cpu: 'CPU', cuda: 'CUDA', webgpu: 'WebGPU' };

/** "cpu" -> "CPU", "cuda+cpu" -> "CUDA, then CPU" (a job whose sessions fell back part-way). */
export function executionProviderText(ep: string): string {
  return ep
    .split('+')
    .map((p) => NAMES[p] ?? p)
    .join(', then ');
}

/** ", 12% of nodes on CPU" when a GPU session left nodes to the CPU (the log names the ops). */
export function fallbackText(pct: number | null): string {
  if (pct === null || pct === 0) return '';
  return `, ${pct < 1 ? pct.toFixed(1) : Math.round(pct)}% of nodes on CPU`;
}

/**
 * The detail's two rows: what the job's model sessions ran on, and the scheduler's slot class
 * (one GPU-class job at a time). A queued job's slot is settled when it starts (a machine without
 * a GPU gives it a CPU slot), so it is not called "GPU" before then.
 */
export function jobRunsOnRows(j: JobView, cpuSlots: string): [string, string][] {
  const running = ['running', 'pausing', 'cancelling'].includes(j.state);
  const ep = j.executionProvider
    ? `${executionProviderText(j.executionProvider)}${fallbackText(j.cpuFallbackPct)}${running ? '' : ' (what its model sessions ran on)'}`
    : j.state === 'queued' || j.state === 'paused' || j.attempts === 0
      ? 'not started yet'
      : running
        ? 'no model session yet'
        : 'none: it ran no model';
  const slot =
    j.resource === 'cpu'
      ? `CPU (${cpuSlots})`
      : j.attempts === 0 && j.state === 'queued'
        ? 'GPU if this machine has one, else CPU (settled when it starts)'
        : 'GPU (one GPU job runs at a time)';
  return [
    ['execution provider', ep],
    ['slot', slot],
  ];
}
