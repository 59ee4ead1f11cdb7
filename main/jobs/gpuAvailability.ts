/**
 * Whether a GPU execution provider works on this machine, so the scheduler gives a job that asks
 * for the GPU slot a CPU slot where there is no GPU (and the Queue never says "GPU" there). The
 * answer comes from a probe (the engine opens a one-node graph with device "auto", in the
 * interactive worker), asked once, on the first job that wants the GPU; until it answers such jobs
 * wait. A probe that fails counts as "no GPU": that is all it could show.
 */
export class GpuAvailability {
  private known: boolean | null;
  private probing = false;
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly probe: (() => Promise<boolean>) | null,
    private readonly onProbeFailed: (err: unknown) => void = () => {},
    known: boolean | null = null,
  ) {
    this.known = known;
  }

  /** A machine whose answer is fixed (tests, front doors that know). */
  static fixed(available: boolean): GpuAvailability {
    return new GpuAvailability(null, () => {}, available);
  }

  /** True or false once known; null while the probe runs (it starts here, and `onKnown` is called when it answers). */
  available(onKnown: () => void): boolean | null {
    if (this.known !== null) return this.known;
    this.waiting.add(onKnown);
    if (!this.probing && this.probe) {
      this.probing = true;
      this.probe().then(
        (ok) => this.settle(ok),
        (err: unknown) => {
          this.onProbeFailed(err);
          this.settle(false);
        },
      );
    }
    return null;
  }

  private settle(ok: boolean): void {
    this.known = ok;
    this.probing = false;
    const callbacks = [...this.waiting];
    this.waiting.clear();
    for (const cb of callbacks) cb();
  }
}
