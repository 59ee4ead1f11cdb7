/**
 * `npm run bench [-- --device cpu|cuda|webgpu|auto] [-- --only check|sae|model|index|compare|condition|experiment|train|trainjob|crosscoder|lr]`:
 * engine, index, compare, experiment and training benchmarks, printed as ratios against floors
 * measured in the same run, after a correctness check of the engine on the same device. The lr
 * study (`--only lr`, tens of minutes) is how the default lr was chosen and runs only when asked.
 */
import { parseArgs } from 'node:util';
import * as os from 'node:os';
import { lastEpReport, parseDeviceChoice } from '../main/engine/executionProviders';
import { compareBench } from './compareBench';
import { conditionBench } from './conditionBench';
import { engineCheck } from './engineCheck';
import { indexBench } from './indexBench';
import { experimentBench } from './experimentBench';
import { modelForwardBench } from './modelForwardBench';
import { lrStudy } from './lrStudy';
import { saeEncodeBench } from './saeEncodeBench';
import { trainJobBench } from './trainJobBench';
import { trainStepBench } from './trainStepBench';
import { crosscoderJobBench, crosscoderStepBench } from './crosscoderBench';

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
  ['condition', () => conditionBench()],
  ['experiment', () => experimentBench(device)],
  ['train', () => trainStepBench(device)],
  ['trainjob', () => trainJobBench(device)],
  ['crosscoder', async () => [...(await crosscoderStepBench(device)), ...(await crosscoderJobBench(device))]],
  ['lr', () => lrStudy(device, (line) => console.error(line))],
];
const onRequestOnly = new Set(['lr']);
for (const [name, fn] of sections) {
  if (only ? only !== name : onRequestOnly.has(name)) continue;
  for (const line of await fn()) console.log(line);
}
const report = lastEpReport();
if (report) console.log(`EP report: ${JSON.stringify(report)}`);
