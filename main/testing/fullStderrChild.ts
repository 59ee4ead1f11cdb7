/**
 * A core-like process whose stderr is on a full disk (the test starts it with stderr on
 * /dev/full): the process guard installed, 5,000 warnings logged (each echoed on stderr) and an
 * uncaught exception thrown. Prints {"stderrAttempts", "uncaught"} on stdout and exits 0.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createFileLogger, stderrAttempts } from '../log';
import { guardProcess } from '../processGuard';

const home = process.argv[2];
const log = createFileLogger(home);
guardProcess({ log, stop: () => {} });
for (let i = 0; i < 5000; i++) log.log('warn', 'test', `warning ${i}`);
setTimeout(() => {
  throw new Error('an unexpected error, reported on stderr');
}, 10);
setTimeout(() => {
  const uncaught = fs.readFileSync(path.join(home, 'logs', 'core.log'), 'utf8').split('\n').filter((l) => l.includes('uncaughtException')).length;
  process.stdout.write(`${JSON.stringify({ stderrAttempts: stderrAttempts(), uncaught })}\n`);
  process.exit(0);
}, 1500);
