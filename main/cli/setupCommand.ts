import type { CudaSetupReport } from '../../preload/api';
import { formatBytes } from '../../preload/api';
import { WorkbenchError } from '../errors';
import type { CliCommand } from './command';

const USAGE = 'sae-workbench setup cuda [--reinstall] [--check] [--json]';

export function describeCudaSetup(r: CudaSetupReport): string[] {
  const pad = (s: string, n: number) => s.padEnd(n);
  return [
    `CUDA provider files in ${r.bindingDir}${r.installed ? ' (installed now)' : ''}`,
    ...r.providerFiles.map((f) => `  ${pad(f.file, 38)} ${f.present ? `present, ${formatBytes(f.bytes ?? 0)}` : 'missing'}`),
    'System libraries the CUDA provider loads',
    ...r.systemLibraries.map((l) => `  ${pad(l.soname, 20)} ${pad(l.what, 20)} ${l.found ?? 'not found'}`),
    r.next,
  ];
}

/**
 * `setup cuda`: onnxruntime-node's CUDA provider is opt-in (its libraries are large and come from
 * NuGet, so the default install stays offline): this runs the package's own installer, then says
 * what the machine still lacks. Exits 0 when every file and library CUDA loads is in place, 1
 * otherwise, so `setup cuda && train --device cuda` stops early when something is missing.
 */
export const setupCommand: CliCommand = {
  name: 'setup',
  summary: "Opt-in installs: `setup cuda` fetches onnxruntime-node's CUDA 12 provider and checks for CUDA 12 and cuDNN 9",
  usage: `${USAGE}\n       --check      only report what is in place (no download)\n       --reinstall  fetch the provider files even when they are present\n       exits 0 when the provider files and the CUDA 12 / cuDNN 9 libraries are in place, 1 when something is missing (the last line says what);\n       whether the driver and GPU then load it: Settings > Execution provider, or any command with --device cuda`,
  options: { reinstall: { type: 'boolean' }, check: { type: 'boolean' }, json: { type: 'boolean' } },
  async run({ values, positionals }, ctx) {
    if (positionals.length !== 1 || positionals[0] !== 'cuda') {
      throw new WorkbenchError('BAD_ARGUMENT', positionals.length === 0 ? 'Say what to set up: `setup cuda`.' : `Unknown setup target "${positionals.join(' ')}": only \`cuda\` can be set up.`, `Usage: ${USAGE}`);
    }
    if (values.check && values.reinstall) throw new WorkbenchError('BAD_ARGUMENT', '--check only reports; it cannot be combined with --reinstall.', `Usage: ${USAGE}`);
    const { setupCuda } = await import('../setup/cudaSetup');
    // The installer's own lines go to stderr, so --json keeps stdout to the one report.
    // Ctrl-C stops the installer and puts the previous files back before the command exits.
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let report;
    try {
      report = await setupCuda({ install: !values.check, reinstall: Boolean(values.reinstall), signal: stop.signal, onLine: (line) => ctx.stderr(`installer: ${line}`) });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (values.json) ctx.stdout(JSON.stringify(report));
    else for (const line of describeCudaSetup(report)) ctx.stdout(line);
    return report.ready ? 0 : 1;
  },
};
