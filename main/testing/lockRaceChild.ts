/**
 * A process that races for a home lock on command (main/lock.test.ts): on {home, at} it waits
 * until the wall-clock instant `at`, tries acquireHomeLock, reports whether it won, and holds the
 * lock until told to release it.
 */
import { acquireHomeLock } from '../lock';

let release: (() => void) | null = null;
process.on('message', (m: { type: 'race'; home: string; at: number } | { type: 'release' } | { type: 'exit' }) => {
  if (m.type === 'race') {
    while (Date.now() < m.at) {
      // spin: every racer leaves the line within the same millisecond
    }
    try {
      release = acquireHomeLock(m.home);
      process.send!({ won: true });
    } catch (err) {
      process.send!({ won: false, code: (err as { code?: string }).code });
    }
  } else if (m.type === 'release') {
    release?.();
    release = null;
    process.send!({ released: true });
  } else process.exit(0);
});
process.send!({ ready: true });
