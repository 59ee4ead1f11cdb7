import type { ParseArgsConfig } from 'node:util';

export interface CliContext {
  /** --home or WORKBENCH_HOME, resolved. */
  home: string;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Standard input for options that read "-" (default: process.stdin). */
  stdin?: () => AsyncIterable<Buffer | string>;
}

/** One `sae-workbench <name>` command. Options follow node:util parseArgs. */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  options?: ParseArgsConfig['options'];
  /** More help after the usage in `<command> --help` (e.g. the job kinds and their parameters). */
  moreHelp?: () => string[];
  /** Runs the ONNX engine in this process: long command lines are refused first (see cliInput.refuseLongArgv). */
  startsEngine?: boolean;
  /** What to do instead of a long command line (the hint of ARGUMENTS_TOO_LONG); the default names acts' input files. */
  longInputHint?: string;
  /** Resolves to the process exit code. */
  run(args: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] }, ctx: CliContext): Promise<number>;
}
