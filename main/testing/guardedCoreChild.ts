/**
 * A core under the process guard, steered by its parent (main/processGuard.test.ts): "throw"
 * raises an uncaught exception, "reject" an unhandled rejection, "ping" answers "pong" through a
 * real API call, so the test sees whether the core kept serving.
 */
import { createCore } from '../api/core';
import { guardProcess } from '../processGuard';

const home = process.argv[2];
const core = createCore({ home, frontDoor: 'test' });
guardProcess({
  log: core.log,
  stop: (reason, code) => {
    void core.close().then(() => {
      process.stdout.write(`stopped: ${reason}\n`);
      process.exit(code);
    });
  },
});
process.on('message', (m) => {
  if (m === 'throw') setTimeout(() => {
    throw new TypeError(`cannot read ${home}/secret/internal.bin`);
  });
  if (m === 'reject') void Promise.reject(new Error('a promise nobody awaited'));
  if (m === 'ping') void core.call('app.info', {}).then((r) => process.send!(r.ok ? 'pong' : 'error'));
});
process.send!('ready');
