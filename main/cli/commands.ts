import type { CliCommand } from './command';
import { jobsCommand } from './jobsCommand';
import { libraryCommand } from './libraryCommand';
import { serveCommand } from './serveCommand';

/** Every `sae-workbench` command, in the order --help lists them. */
export const commands: CliCommand[] = [serveCommand, jobsCommand, libraryCommand];
