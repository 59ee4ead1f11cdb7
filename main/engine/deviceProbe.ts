import type { EngineDeviceReport } from '../../preload/api';
import { createSessionWithFallback, type DeviceChoice } from './executionProviders';
import { probeGraph } from './webgpuProbe';

/** Which execution provider runs for a device choice, and why the ones tried before it failed. */
export async function probeDevice(device: DeviceChoice): Promise<EngineDeviceReport> {
  const { session, report } = await createSessionWithFallback(probeGraph(), device);
  await session.release();
  return report;
}
