#!/usr/bin/env node
/**
 * `sae-workbench <command>`: the headless front door. Errors print their message and hint and
 * exit non-zero; a bug prints its stack.
 */
import { parseArgs } from 'node:util';
import { APP_VERSION } from '../appVersion';
import { intraOpThreads } from '../engine/executionProviders';
import { WorkbenchError } from '../errors';
import { resolveHome } from '../home';
import type { CliContext } from './command';
import { refuseLongArgv } from './cliInput';
import { commands } from './commands';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'SAE Workbench: an offline lab for sparse autoencoders.',
    '',
    'Usage: sae-workbench <command> [options]   (from a checkout: npm run cli -- <command>)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --home DIR   data directory (default: $WORKBENCH_HOME or ~/.sae-workbench)',
    '  --help       show help (also: sae-workbench <command> --help)',
    '  --version    print "sae-workbench <version>" (a cluster profile\'s remote command must print this app\'s)',
  ].join('\n');
}

export async function runCli(argv: string[], io: Pick<CliContext, 'stdout' | 'stderr' | 'stdin'>): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return 0;
  }
  if (name === '--version') {
    io.stdout(`sae-workbench ${APP_VERSION}`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`Unknown command "${name}".\n\n${help()}`);
    return 2;
  }
  try {
    if (command.startsEngine) {
      refuseLongArgv(argv, name, command.longInputHint);
      intraOpThreads(); // a bad SAE_WORKBENCH_THREADS is refused before any work
    }
    const parsed = parseArgs({
      args: rest,
      options: { ...command.options, home: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help) {
      io.stdout([`${command.summary}\n\nUsage: ${command.usage}`, ...(command.moreHelp ? ['', ...command.moreHelp()] : [])].join('\n'));
      return 0;
    }
    return await command.run(parsed, { ...io, home: resolveHome(parsed.values.home as string | undefined) });
  } catch (err) {
    if (err instanceof WorkbenchError) {
      io.stderr(`Error: ${err.message}${err.hint ? `\nHint: ${err.hint}` : ''}`);
      return 1;
    }
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`Error: ${(err as Error).message}\nUsage: ${command.usage}`);
      return 2;
    }
    io.stderr(`Unexpected error (a bug): ${(err as Error).stack ?? String(err)}`);
    return 70;
  }
}

const isEntry = process.argv[1] && /main\.(ts|js|mjs)$/.test(process.argv[1]) && process.argv[1].includes('cli');
if (isEntry) {
  runCli(process.argv.slice(2), { stdout: (l) => console.log(l), stderr: (l) => console.error(l) }).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(70);
    },
  );
}
