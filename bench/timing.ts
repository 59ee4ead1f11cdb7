/** Median wall time (ms) of `reps` runs after `warmup` runs, stopping early past `budgetMs`. */
export async function medianMs(fn: () => Promise<unknown>, opts: { warmup?: number; reps?: number; budgetMs?: number } = {}): Promise<number> {
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
  return times[Math.floor(times.length / 2)];
}

export function gflops(flop: number, ms: number): number {
  return flop / (ms * 1e6);
}
