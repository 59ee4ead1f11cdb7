/**
 * The interactive worker's loop (main/workerMain.ts with INTERACTIVE_WORKER_ARG): a long-lived
 * process that answers requests from the core, concurrently, keeping what it loaded (models,
 * SAEs, tokenizers) between them. It exits when the core goes away.
 */
import { WorkbenchError, internalErrorFields, toApiError } from '../errors';
import { finiteCheckCacheDir, useFiniteCheckCache } from '../formats/finiteValues';
import type { ParentPort } from '../jobs/worker';
import { createFileLogger } from '../log';
import type { HostToInteractive, InteractiveRequestTable, InteractiveToHost } from './protocol';

export function runInteractiveWorker(port: ParentPort<HostToInteractive, InteractiveToHost>, requests: InteractiveRequestTable): void {
  let home = '';
  port.onDisconnect(() => process.exit(0));
  port.on(async (m) => {
    if (m.type === 'init') {
      home = m.home;
      useFiniteCheckCache(finiteCheckCacheDir(home));
      return;
    }
    try {
      const request = Object.prototype.hasOwnProperty.call(requests, m.method) ? requests[m.method] : undefined;
      if (!request) throw new WorkbenchError('UNKNOWN_REQUEST', `The interactive worker has no request "${m.method}".`);
      port.send({ type: 'started', id: m.id });
      const result = await request.run(m.params as never, { home });
      port.send({ type: 'response', id: m.id, ok: true, result });
    } catch (err) {
      const error = toApiError(err, (errorId, e) => createFileLogger(home, { echo: false }).log('error', 'interactive', `${m.method} failed`, internalErrorFields(errorId, e)));
      port.send({ type: 'response', id: m.id, ok: false, error });
    }
  });
  port.send({ type: 'ready' });
}
