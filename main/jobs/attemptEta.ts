/**
 * The time left for a running job, from the rate of the current attempt alone: a paused, crashed
 * or retried attempt says nothing about this one (it may run on another device, or have redone
 * its setup), and time spent paused or queued is no progress at all. The rate is measured over
 * the last `windowMs` of this attempt's own progress reports.
 */
export class AttemptEta {
  private samples: { t: number; p: number }[] = [];

  constructor(
    private readonly windowMs = 30_000,
    /** Less observed time than this gives no estimate rather than a wild one. */
    private readonly minSpanMs = 1000,
  ) {}

  /** A progress report (fraction 0..1) at time t (ms). */
  record(t: number, p: number): void {
    const last = this.samples[this.samples.length - 1];
    // Progress that went back (a unit of work restarted after resume) starts the measurement afresh.
    if (last && p < last.p) this.samples = [];
    this.samples.push({ t, p });
    while (this.samples.length > 2 && t - this.samples[0].t > this.windowMs) this.samples.shift();
  }

  /** Seconds left, or null while there is not enough of this attempt to tell. */
  seconds(): number | null {
    if (this.samples.length < 2) return null;
    const a = this.samples[0];
    const b = this.samples[this.samples.length - 1];
    const span = b.t - a.t;
    const rate = (b.p - a.p) / span;
    if (span < this.minSpanMs || !(rate > 0)) return null;
    return (1 - b.p) / rate / 1000;
  }
}
