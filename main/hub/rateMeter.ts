/** Bytes per second over a sliding window, so the rate reacts within seconds but does not jitter. */
export class RateMeter {
  private samples: { t: number; bytes: number }[] = [];

  constructor(private readonly windowMs = 5000) {}

  /** Record the running total of bytes at time t (ms). */
  record(totalBytes: number, t = Date.now()): void {
    this.samples.push({ t, bytes: totalBytes });
    while (this.samples.length > 2 && t - this.samples[0].t > this.windowMs) this.samples.shift();
  }

  rate(now = Date.now()): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const span = Math.max(now, last.t) - first.t;
    return span >= 200 ? Math.max(0, ((last.bytes - first.bytes) * 1000) / span) : 0;
  }
}
