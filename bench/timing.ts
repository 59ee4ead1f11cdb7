export interface Timing {
  /** Fastest run (ms): the least disturbed by other processes on a shared machine. */
  best: number;
  median: number;
  runs: number;
}

/** Times `fn` `reps` times after `warmup` runs, stopping early once `budgetMs` is spent. */
export async function time(fn: () => Promise<unknown>, opts: { warmup?: number; reps?: number; budgetMs?: number } = {}): Promise<Timing> {
  for (let i = 0; i < (opts.warmup ?? 1); i++) await fn();
  const times: number[] = [];
  const deadline = performance.now() + (opts.budgetMs ?? 20_000);
  for (let i = 0; i < (opts.reps ?? 5); i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    if (performance.now() > deadline && times.length >= 2) break;
  }
  times.sort((a, b) => a - b);
  return { best: times[0], median: times[Math.floor(times.length / 2)], runs: times.length };
}

export function gflops(flop: number, ms: number): number {
  return flop / (ms * 1e6);
}

export function fmt(t: Timing): string {
  return `${t.best.toFixed(1)} ms best (median ${t.median.toFixed(1)}, ${t.runs} runs)`;
}

/**
 * Times several functions in alternation (a, b, c, a, b, c, ...), so each sees the same share of
 * a shared machine's load: ratios between them stay meaningful when the absolute times do not.
 */
export async function timeInterleaved(fns: (() => Promise<unknown>)[], opts: { warmup?: number; reps?: number } = {}): Promise<Timing[]> {
  for (let w = 0; w < (opts.warmup ?? 1); w++) for (const fn of fns) await fn();
  const times: number[][] = fns.map(() => []);
  for (let i = 0; i < (opts.reps ?? 5); i++) {
    for (const [j, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      times[j].push(performance.now() - t0);
    }
  }
  return times.map((t) => {
    const sorted = [...t].sort((a, b) => a - b);
    return { best: sorted[0], median: sorted[Math.floor(sorted.length / 2)], runs: sorted.length };
  });
}
