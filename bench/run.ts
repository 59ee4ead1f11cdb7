/**
 * `npm run bench [-- --device cpu|cuda|webgpu|auto] [-- --only model|sae]`: engine benchmarks,
 * printed as ratios against a plain ORT MatMul measured in the same run.
 */
import { parseArgs } from 'node:util';
import * as os from 'node:os';
import { lastEpReport, parseDeviceChoice } from '../main/engine/executionProviders';
import { modelForwardBench } from './modelForwardBench';
import { saeEncodeBench } from './saeEncodeBench';

const { values } = parseArgs({ options: { device: { type: 'string' }, only: { type: 'string' } } });
const device = parseDeviceChoice((values.device as string | undefined) ?? 'cpu');
console.log(`SAE Workbench engine bench: device=${device}, ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? '?'})`);
const lines: string[] = [];
if (values.only !== 'model') lines.push(...(await saeEncodeBench(device)));
if (values.only !== 'sae') lines.push(...(await modelForwardBench(device)));
for (const l of lines) console.log(l);
const report = lastEpReport();
if (report) console.log(`EP report: ${JSON.stringify(report)}`);
