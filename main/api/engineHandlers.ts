import { createSessionWithFallback } from '../engine/executionProviders';
import { GraphBuilder } from '../engine/onnx/graphBuilder';
import type { HandlerTable } from './handlers';

/** The smallest graph that makes an EP initialise (adapter, context): one Relu. */
function probeGraph(): Uint8Array {
  const g = new GraphBuilder('probe');
  g.output(g.relu(g.input('x', 'float32', [1])), 'y', 'float32', [1]);
  return g.toBytes();
}

export const engineHandlers: HandlerTable<'engine.devices'> = {
  'engine.devices': async ({ device }) => {
    const { session, report } = await createSessionWithFallback(probeGraph(), device);
    await session.release();
    return report;
  },
};
