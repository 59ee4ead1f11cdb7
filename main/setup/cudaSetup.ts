/**
 * The opt-in CUDA install: onnxruntime-node bundles its CPU and WebGPU providers, but its CUDA
 * provider libraries are fetched by the package's own install script (from NuGet), which this
 * app's install skips so that it works offline. `sae-workbench setup cuda` (and Settings) runs that
 * script with ONNXRUNTIME_NODE_INSTALL=cuda12, then checks what the CUDA provider needs from the
 * machine: the CUDA 12 and cuDNN 9 runtime libraries, which come with NVIDIA's toolkit or pip
 * wheels, never with onnxruntime-node. After it, `--device auto` tries CUDA first.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { CudaSetupReport } from '../../preload/api';
import { WorkbenchError } from '../errors';

/** The files onnxruntime-node's install script places for cuda12 (its install-metadata.js), beside the binding. */
export const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;

/**
 * What the CUDA provider of onnxruntime 1.2x loads at run time (CUDA 12.x and cuDNN 9.x, as ORT's
 * CUDA requirements page lists them), by the soname the loader looks for.
 */
export const CUDA_SYSTEM_LIBRARIES: readonly { soname: string; what: string }[] = [
  { soname: 'libcudart.so.12', what: 'CUDA 12 runtime' },
  { soname: 'libcublas.so.12', what: 'cuBLAS (CUDA 12)' },
  { soname: 'libcublasLt.so.12', what: 'cuBLASLt (CUDA 12)' },
  { soname: 'libcurand.so.10', what: 'cuRAND (CUDA 12)' },
  { soname: 'libcufft.so.11', what: 'cuFFT (CUDA 12)' },
  { soname: 'libcudnn.so.9', what: 'cuDNN 9' },
];

/** The onnxruntime-node package folder this app loads. */
export function onnxruntimePackageDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('onnxruntime-node/package.json'));
}

function bindingDirOf(packageDir: string, platform = `${os.platform()}/${os.arch()}`): string {
  return path.join(packageDir, 'bin', 'napi-v6', platform);
}

export function providerFiles(bindingDir: string): CudaSetupReport['providerFiles'] {
  return CUDA_PROVIDER_FILES.map((file) => {
    const p = path.join(bindingDir, file);
    const stat = fs.statSync(p, { throwIfNoEntry: false });
    return { file, present: Boolean(stat?.isFile() && stat.size > 0), bytes: stat?.isFile() ? stat.size : null };
  });
}

/** The folders the dynamic loader searches: LD_LIBRARY_PATH, then the ld.so cache's, then the usual CUDA folders. */
export function librarySearchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d.length > 0);
  try {
    const cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    for (const line of cache.split('\n')) {
      const m = / => (\/\S+)$/.exec(line.trim());
      if (m) dirs.push(path.dirname(m[1]));
    }
  } catch {
    // No ldconfig (or not allowed): the folders below still say what a default install has.
  }
  dirs.push('/usr/local/cuda/lib64', '/usr/local/cuda-12/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib');
  return [...new Set(dirs)];
}

export function findSystemLibraries(dirs: readonly string[]): CudaSetupReport['systemLibraries'] {
  return CUDA_SYSTEM_LIBRARIES.map(({ soname, what }) => {
    const dir = dirs.find((d) => fs.existsSync(path.join(d, soname)));
    return { soname, what, found: dir ? path.join(dir, soname) : null };
  });
}

/**
 * The installer's environment: cuda12 asked for, downloads in our own temp folder, the usual proxy
 * variables passed on (the installer reaches the network through global-agent, which reads only
 * its GLOBAL_AGENT_* names), and no npm_* variables. The installer (1.2x) parses "cuda12" into "no
 * flag" (its parseInstallFlag falls off its switch), and without a flag it exits at once when npm's
 * variables say it runs in the package's own folder, as they do under `npx` or `npm run`. Without
 * a flag it installs the linux/x64 default, which is cuda12, when a file is missing: so this app
 * makes a file missing for --reinstall (runOnnxruntimeInstaller sets the old ones aside).
 */
export function installerEnv(env: NodeJS.ProcessEnv, tmp: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!/^npm_/i.test(k) && v !== undefined) out[k] = v;
  Object.assign(out, { ONNXRUNTIME_NODE_INSTALL: 'cuda12', TMPDIR: tmp, ELECTRON_RUN_AS_NODE: '1' });
  const proxy = env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy;
  if (proxy && !env.GLOBAL_AGENT_HTTPS_PROXY) out.GLOBAL_AGENT_HTTPS_PROXY = proxy;
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  if (noProxy && !env.GLOBAL_AGENT_NO_PROXY) out.GLOBAL_AGENT_NO_PROXY = noProxy;
  return out;
}

/** Every file the installer's cuda12 manifest places (install-metadata.js); TensorRT's is fetched too, though this app never asks for that EP. */
const INSTALLER_FILES = [...CUDA_PROVIDER_FILES, 'libonnxruntime_providers_tensorrt.so'];

const LOCK_FILE = '.cuda-setup.lock';
const ASIDE_PREFIX = '.cuda-setup-previous-';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One setup at a time per binding folder (the CLI and a Settings job could race): a lock file
 * holding the pid, taken over when that process is gone.
 */
function takeLock(bindingDir: string): () => void {
  const lock = path.join(bindingDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      return () => fs.rmSync(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
        throw new WorkbenchError('CUDA_SETUP_BUSY', `Another CUDA setup (process ${holder}) is installing into ${bindingDir}.`, 'Wait for it to finish (the Queue shows a Settings install), then check again.');
      }
      fs.rmSync(lock, { force: true });
    }
  }
  throw new WorkbenchError('CUDA_SETUP_BUSY', `Could not take the setup lock ${lock}.`, 'Run `sae-workbench setup cuda` again.');
}

/**
 * Files a killed reinstall set aside (its process gone before it could put them back): each is
 * restored where no newer one took its place, then the folder goes. Only our own folders are read.
 */
export function recoverSetAsideFiles(bindingDir: string): string[] {
  const restored: string[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(bindingDir);
  } catch {
    return restored;
  }
  for (const name of entries) {
    const pid = Number(name.slice(ASIDE_PREFIX.length));
    if (!name.startsWith(ASIDE_PREFIX) || !Number.isInteger(pid) || (pid !== process.pid && processAlive(pid))) continue;
    const aside = path.join(bindingDir, name);
    for (const f of INSTALLER_FILES) {
      const from = path.join(aside, f);
      if (fs.existsSync(from) && !fs.existsSync(path.join(bindingDir, f))) {
        fs.renameSync(from, path.join(bindingDir, f));
        restored.push(f);
      }
    }
    fs.rmSync(aside, { recursive: true, force: true });
  }
  return restored;
}

/**
 * Runs onnxruntime-node's install script for cuda12; its output lines go to `onLine`. With
 * `reinstall`, the files already there are set aside first (the installer only fetches when one is
 * missing) and put back if the install fails or is stopped (`signal`), so a failed reinstall leaves
 * what worked before; a process killed meanwhile leaves them for recoverSetAsideFiles.
 */
export async function runOnnxruntimeInstaller(packageDir: string, bindingDir: string, options: { reinstall?: boolean; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const script = path.join(packageDir, 'script', 'install.js');
  if (!fs.existsSync(script)) throw new WorkbenchError('CUDA_INSTALLER_MISSING', `onnxruntime-node's install script ${script} is missing.`, 'Reinstall the app\'s dependencies (npm ci), then run `sae-workbench setup cuda` again.');
  fs.mkdirSync(bindingDir, { recursive: true });
  const unlock = takeLock(bindingDir);
  const restored = recoverSetAsideFiles(bindingDir);
  if (restored.length > 0) options.onLine?.(`Put back ${restored.join(', ')}, set aside by a setup that was stopped.`);
  // The installer downloads into os.tmpdir(): a folder of our own, removed afterwards whatever happens.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-cuda-setup-'));
  // Beside the files (a rename never crosses file systems).
  const aside = path.join(bindingDir, `${ASIDE_PREFIX}${process.pid}`);
  const setAside: string[] = [];
  let succeeded = false;
  const tail: string[] = [];
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  try {
    if (options.reinstall) {
      for (const f of INSTALLER_FILES) {
        if (!fs.existsSync(path.join(bindingDir, f))) continue;
        fs.mkdirSync(aside, { recursive: true });
        fs.renameSync(path.join(bindingDir, f), path.join(aside, f));
        setAside.push(f);
      }
    }
    let timedOut = false;
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [script], {
        cwd: packageDir,
        env: installerEnv({ ...process.env, ...options.env }, tmp),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      const stop = () => child.kill('SIGKILL');
      options.signal?.addEventListener('abort', stop, { once: true });
      const lines = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          const l = line.trimEnd();
          if (!l) continue;
          tail.push(l);
          if (tail.length > 20) tail.shift();
          options.onLine?.(l);
        }
      };
      child.stdout.on('data', lines);
      child.stderr.on('data', lines);
      child.on('error', reject);
      child.on('close', (c) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', stop);
        resolve(c);
      });
    });
    if (options.signal?.aborted) throw new WorkbenchError('CUDA_SETUP_STOPPED', 'The CUDA setup was stopped before the installer finished.', 'Nothing changed: the files that were there are back. Run it again when you are ready.');
    if (timedOut) throw new WorkbenchError('CUDA_INSTALL_FAILED', `onnxruntime-node's CUDA installer did not finish within ${Math.round(timeoutMs / 60_000)} minutes (last line: ${tail[tail.length - 1] ?? 'none'}).`, 'A slow or stalled download: check the connection (or the proxy) and run it again.');
    if (code !== 0) throw installFailure(tail);
    succeeded = true;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    for (const f of setAside) {
      const target = path.join(bindingDir, f);
      if (!succeeded || !fs.existsSync(target)) fs.renameSync(path.join(aside, f), target);
    }
    fs.rmSync(aside, { recursive: true, force: true });
    unlock();
  }
}

/** The installer's own words, made actionable for the failures users meet: no network, a proxy, a refused certificate. */
function installFailure(tail: string[]): WorkbenchError {
  const text = tail.join('\n');
  const why = tail.find((l) => /Error/.test(l)) ?? tail[tail.length - 1] ?? 'it exited without a message';
  let hint = 'See the installer\'s output (the lines above, or the job\'s log); run `sae-workbench setup cuda` again once it is fixed.';
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up/.test(text)) {
    hint = 'It downloads Microsoft.ML.OnnxRuntime.Gpu.Linux from api.nuget.org: this machine needs to reach it (behind a proxy, set HTTPS_PROXY), or run the command on a machine that can and copy the two provider files beside libonnxruntime.so.1.';
  } else if (/certificate|CERT_|self.signed/i.test(text)) {
    hint = 'A proxy that re-signs TLS needs its CA certificate: set NODE_EXTRA_CA_CERTS=<ca.pem> and run it again.';
  }
  return new WorkbenchError('CUDA_INSTALL_FAILED', `onnxruntime-node's CUDA installer failed: ${why.trim()}`, hint);
}

function nextStep(report: Omit<CudaSetupReport, 'next' | 'ready'>): string {
  const missingFiles = report.providerFiles.filter((f) => !f.present).map((f) => f.file);
  if (missingFiles.length > 0) return `The CUDA provider files are missing (${missingFiles.join(', ')}): run \`sae-workbench setup cuda\` (or Settings > Install CUDA provider).`;
  const missing = report.systemLibraries.filter((l) => !l.found);
  if (missing.length > 0) {
    return `The CUDA provider is installed, but the loader cannot find ${missing.map((l) => `${l.soname} (${l.what})`).join(', ')}: install CUDA 12.x and cuDNN 9.x (NVIDIA's packages, or pip's nvidia-cuda-runtime-cu12, nvidia-cublas-cu12, nvidia-cudnn-cu12 ...) and put their lib folders on LD_LIBRARY_PATH.`;
  }
  return 'The CUDA provider and its CUDA 12 / cuDNN 9 libraries are in place: `--device auto` now tries CUDA first (Settings shows whether it loads on this GPU and driver).';
}

/** Check, and install when asked or needed: the whole `setup cuda`. */
export async function setupCuda(options: { install: boolean; reinstall?: boolean; packageDir?: string; platform?: string; env?: NodeJS.ProcessEnv; searchDirs?: string[]; onLine?: (line: string) => void; signal?: AbortSignal } = { install: true }): Promise<CudaSetupReport> {
  const platform = options.platform ?? `${os.platform()}/${os.arch()}`;
  if (platform !== 'linux/x64') {
    throw new WorkbenchError('CUDA_UNSUPPORTED_PLATFORM', `onnxruntime-node has no CUDA provider for ${platform}; it ships one for linux/x64 only.`, 'Use --device webgpu (bundled) or cpu on this machine.');
  }
  const packageDir = options.packageDir ?? onnxruntimePackageDir();
  const bindingDir = bindingDirOf(packageDir, platform);
  let installed = false;
  // A reinstall killed before it could put the old files back left them aside: they count again.
  if (options.install) recoverSetAsideFiles(bindingDir);
  const before = providerFiles(bindingDir);
  if (options.install && (options.reinstall || before.some((f) => !f.present))) {
    await runOnnxruntimeInstaller(packageDir, bindingDir, { reinstall: options.reinstall, env: options.env, onLine: options.onLine, signal: options.signal });
    installed = true;
  }
  const files = providerFiles(bindingDir);
  if (installed && files.some((f) => !f.present)) {
    throw new WorkbenchError('CUDA_INSTALL_FAILED', `onnxruntime-node's CUDA installer finished, but ${files.filter((f) => !f.present).map((f) => f.file).join(', ')} is not in ${bindingDir}.`, 'Run `sae-workbench setup cuda --reinstall`; if it happens again, the package version may have no CUDA build on NuGet.');
  }
  const systemLibraries = findSystemLibraries(options.searchDirs ?? librarySearchDirs(options.env ?? process.env));
  const partial = { platform, bindingDir, installed, providerFiles: files, systemLibraries };
  return { ...partial, ready: files.every((f) => f.present) && systemLibraries.every((l) => l.found), next: nextStep(partial) };
}
