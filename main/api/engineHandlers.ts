import { createSessionWithFallback } from '../engine/executionProviders';
import { probeGraph } from '../engine/webgpuProbe';
import type { HandlerTable } from './handlers';

export const engineHandlers: HandlerTable<'engine.devices'> = {
  'engine.devices': async ({ device }) => {
    const { session, report } = await createSessionWithFallback(probeGraph(), device);
    await session.release();
    return report;
  },
};
