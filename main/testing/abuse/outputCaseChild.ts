/**
 * The CLI side of the output-path abuse class, in a child process whose working directory is the
 * sandbox (argv[2]) (so relative --out paths resolve where a user would stand): reads one JSON line per case
 * ({id, argv}), runs the command in process, answers {id, code, err, ms}. A case that hangs (as
 * Node's recursive mkdir on /proc did) stops the answers; the parent's watchdog kills this process.
 */
import readline from 'node:readline';
import { runCliCaptured } from '../cliRun';

process.chdir(process.argv[2]);
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const { id, argv } = JSON.parse(line) as { id: number; argv: string[] };
  const t = Date.now();
  const r = await runCliCaptured(argv);
  process.stdout.write(`${JSON.stringify({ id, code: r.code, err: r.err, ms: Date.now() - t })}\n`);
}
