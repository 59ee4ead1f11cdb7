import { WorkbenchError } from '../errors';
import { readTextFile } from '../formats/openedFile';
import type { CliContext } from './command';

/** Input files for the CLI are read whole; anything larger is not a prompt or a token list. */
const MAX_INPUT_BYTES = 64 << 20;

/**
 * The text of an input option given as a path (through the one open path: regular files only,
 * named in errors) or as "-" for standard input, so long inputs never go through argv.
 */
export async function readCliInput(value: string, option: string, ctx: Pick<CliContext, 'stdin'>): Promise<string> {
  if (value !== '-') {
    try {
      return readTextFile(value, MAX_INPUT_BYTES);
    } catch (err) {
      if ((err as WorkbenchError).code !== 'NOT_A_FILE') throw err;
      throw new WorkbenchError('NOT_A_FILE', `${option}: ${(err as Error).message}`, `Give a regular file, or "${option} -" to read standard input (e.g. cmd | sae-workbench ... ${option} -).`);
    }
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of ctx.stdin?.() ?? process.stdin) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_INPUT_BYTES) throw new WorkbenchError('FILE_TOO_LARGE', `${option} -: standard input is over ${MAX_INPUT_BYTES} bytes.`, 'Split the input.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A text file's final newline (what `echo` and editors add) is not part of the prompt. */
export function withoutFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/**
 * onnxruntime-node crashes the process (SIGSEGV, exit 139) while creating a session when the
 * process's arguments total about 28 KB or more (it walks argv recursively; upstream bug, seen
 * with 1.30). Commands that start the engine refuse long command lines before ORT is loaded.
 */
export const MAX_ENGINE_ARGV_BYTES = 16 * 1024;

const DEFAULT_LONG_INPUT_HINT = 'Put long inputs in a file: --tokens-file ids.txt or --text-file input.txt (or "-" to read standard input).';

export function refuseLongArgv(argv: readonly string[], command: string, hint = DEFAULT_LONG_INPUT_HINT): void {
  const bytes = argv.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
  if (bytes <= MAX_ENGINE_ARGV_BYTES) return;
  const longest = argv.reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a), '');
  throw new WorkbenchError(
    'ARGUMENTS_TOO_LONG',
    `The ${command} command line is ${bytes} bytes (its longest argument ${Buffer.byteLength(longest)}); over ${MAX_ENGINE_ARGV_BYTES} bytes onnxruntime-node can crash the process (an upstream bug), so SAE Workbench stops here.`,
    hint,
  );
}
