/**
 * `npm run bench [-- --device cpu|cuda|webgpu|auto] [-- --only check|sae|model|index|compare|experiment]`: engine
 * benchmarks, printed as ratios against a plain ORT MatMul measured in the same run, after a
 * correctness check of the engine on the same device.
 */
import { parseArgs } from 'node:util';
import * as os from 'node:os';
import { lastEpReport, parseDeviceChoice } from '../main/engine/executionProviders';
import { compareBench } from './compareBench';
import { engineCheck } from './engineCheck';
import { indexBench } from './indexBench';
import { experimentBench } from './experimentBench';
import { modelForwardBench } from './modelForwardBench';
import { saeEncodeBench } from './saeEncodeBench';

const { values } = parseArgs({ options: { device: { type: 'string' }, only: { type: 'string' } } });
const device = parseDeviceChoice((values.device as string | undefined) ?? 'cpu');
const only = values.only as string | undefined;
console.log(`SAE Workbench engine bench: device=${device}, ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0].toFixed(1)}`);
const sections: [string, () => Promise<string[]>][] = [
  ['check', () => engineCheck(device)],
  ['sae', () => saeEncodeBench(device)],
  ['model', () => modelForwardBench(device)],
  ['index', () => indexBench(device)],
  ['compare', () => compareBench()],
  ['experiment', () => experimentBench(device)],
];
for (const [name, fn] of sections) {
  if (only && only !== name) continue;
  for (const line of await fn()) console.log(line);
}
const report = lastEpReport();
if (report) console.log(`EP report: ${JSON.stringify(report)}`);
