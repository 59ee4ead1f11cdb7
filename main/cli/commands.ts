import { ablateCommand } from './ablateCommand';
import { actsCommand } from './actsCommand';
import { clusterCommand } from './clusterCommand';
import { diffCommand, matchCommand } from './compareCommands';
import type { CliCommand } from './command';
import { demoCommand } from './demoCommand';
import { encodeCommand } from './encodeCommand';
import { featureCommand } from './featureCommand';
import { indexCommand } from './indexCommand';
import { evalCommand } from './evalCommand';
import { inspectCommand } from './inspectCommand';
import { jobsCommand } from './jobsCommand';
import { labelCommand } from './labelCommand';
import { libraryCommand } from './libraryCommand';
import { probeCommand } from './probeCommand';
import { pullCommand } from './pullCommand';
import { serveCommand } from './serveCommand';
import { setupCommand } from './setupCommand';
import { steerCommand } from './steerCommand';
import { swapCommand } from './swapCommand';
import { trainCommand } from './trainCommand';
import { crosscoderCommand } from './crosscoderCommand';
import { crosscoderLatentsCommand } from './crosscoderLatentsCommand';

/** Every `sae-workbench` command, in the order --help lists them. */
export const commands: CliCommand[] = [serveCommand, jobsCommand, libraryCommand, pullCommand, inspectCommand, actsCommand, encodeCommand, indexCommand, featureCommand, labelCommand, matchCommand, diffCommand, trainCommand, crosscoderCommand, crosscoderLatentsCommand, evalCommand, demoCommand, ablateCommand, steerCommand, swapCommand, probeCommand, clusterCommand, setupCommand];
