import { describe, expect, it } from 'vitest';
import { AttemptEta } from './attemptEta';

describe('AttemptEta', () => {
  it('estimates from the rate of this attempt: 1% per second at 40% leaves 60 s', () => {
    const eta = new AttemptEta();
    for (let s = 0; s <= 10; s++) eta.record(s * 1000, 0.3 + s * 0.01);
    expect(eta.seconds()).toBeCloseTo(60, 9);
  });

  it('after a pause, a new attempt starting at the restored progress is timed on its own rate, not over the paused time', () => {
    // Attempt 1 ran at 1%/s to 2.6%, then the job stayed paused for 10 minutes.
    const first = new AttemptEta();
    for (let s = 0; s <= 2.6; s += 0.2) first.record(s * 1000, s * 0.01);
    expect(first.seconds()).toBeCloseTo((1 - 0.026) / 0.01, 0);
    // Attempt 2 (a fresh estimator, as the scheduler makes one per attempt) continues at 2%/s.
    const second = new AttemptEta();
    const resumedAt = 2.6e3 + 600e3;
    second.record(resumedAt, 0.026);
    expect(second.seconds()).toBeNull();
    for (let s = 1; s <= 5; s++) second.record(resumedAt + s * 1000, 0.026 + s * 0.02);
    expect(second.seconds()).toBeCloseTo((1 - 0.126) / 0.02, 6);
  });

  it('starts afresh when progress goes back (a unit redone), and gives no estimate on too little or no progress', () => {
    const eta = new AttemptEta();
    eta.record(0, 0.5);
    eta.record(500, 0.5);
    expect(eta.seconds()).toBeNull();
    eta.record(5000, 0.5);
    expect(eta.seconds()).toBeNull();
    eta.record(6000, 0.2);
    eta.record(8000, 0.3);
    expect(eta.seconds()).toBeCloseTo(0.7 / 0.05, 9);
  });

  it('measures over the last window only, so a slow start does not stretch the estimate forever', () => {
    const eta = new AttemptEta(10_000);
    for (let s = 0; s <= 30; s++) eta.record(s * 1000, 0.001 * s);
    for (let s = 31; s <= 60; s++) eta.record(s * 1000, 0.03 + 0.01 * (s - 30));
    expect(eta.seconds()).toBeCloseTo((1 - 0.33) / 0.01, 6);
  });
});
