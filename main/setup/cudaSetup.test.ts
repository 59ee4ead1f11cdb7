/**
 * `setup cuda` against onnxruntime-node's real installer script, with NuGet played by a local
 * HTTPS server (a self-signed certificate for api.nuget.org, trusted through NODE_EXTRA_CA_CERTS)
 * reached through a local CONNECT proxy given as HTTPS_PROXY: the installer resolves the package,
 * downloads a fixture nupkg and extracts the provider files, exactly as it would from NuGet.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../errors';
import { CUDA_SYSTEM_LIBRARIES, onnxruntimePackageDir, setupCuda } from './cudaSetup';
import { spawnSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const realPackage = onnxruntimePackageDir();
const appNodeModules = path.dirname(realPackage);
const PACKAGE = 'microsoft.ml.onnxruntime.gpu.linux';
const version: string = (require(path.join(realPackage, 'script', 'install-metadata-versions.js')) as { nuget: { version: string }[] }).nuget[0].version;
const FIXTURE_FILES: Record<string, Buffer> = {
  'libonnxruntime_providers_cuda.so': Buffer.from('fixture cuda provider\n'.repeat(1000)),
  'libonnxruntime_providers_shared.so': Buffer.from('fixture shared provider\n'),
  'libonnxruntime_providers_tensorrt.so': Buffer.from('fixture tensorrt provider\n'),
};

let dir: string;
let certFile: string;
let nuget: https.Server;
let proxy: http.Server;
let proxyUrl: string;
const tunnels: string[] = [];
const sockets = new Set<net.Socket>();
const requests: string[] = [];
/** While set, the nupkg download hangs (a stalled network), so a test can stop the installer part-way. */
let stallNupkg = false;

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** A copy of onnxruntime-node's package (script/ and package.json) with an empty binding folder: the real one is never touched. */
function freshPackage(name: string): string {
  const pkg = path.join(dir, name);
  fs.mkdirSync(path.join(pkg, 'bin', 'napi-v6', 'linux', 'x64'), { recursive: true });
  fs.cpSync(path.join(realPackage, 'script'), path.join(pkg, 'script'), { recursive: true });
  fs.copyFileSync(path.join(realPackage, 'package.json'), path.join(pkg, 'package.json'));
  return pkg;
}

/** The installer's modules (global-agent, adm-zip) resolve from the app's node_modules, as in an installed app. */
function envFor(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { NODE_PATH: appNodeModules, HTTPS_PROXY: proxyUrl, NODE_EXTRA_CA_CERTS: certFile, GLOBAL_AGENT_HTTPS_PROXY: undefined, ...extra };
}

function ourTempFolders(): string[] {
  return fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('sae-wb-cuda-setup-'));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cuda-setup-test-'));
  certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=api.nuget.org', '-addext', 'subjectAltName=DNS:api.nuget.org'], { stdio: 'ignore' });

  // The nupkg is a zip; built with the same library the installer opens it with.
  const AdmZip = require(require.resolve('adm-zip', { paths: [realPackage] })) as new () => { addFile(name: string, data: Buffer): void; toBuffer(): Buffer };
  const zip = new AdmZip();
  for (const [file, data] of Object.entries(FIXTURE_FILES)) zip.addFile(`runtimes/linux-x64/native/${file}`, data);
  zip.addFile(`${PACKAGE}.nuspec`, Buffer.from('<package/>'));
  const nupkg = zip.toBuffer();

  nuget = https.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (req, res) => {
    requests.push(req.url ?? '');
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/v3/index.json') return json({ version: '3.0.0', resources: [{ '@id': 'https://api.nuget.org/v3-flatcontainer/', '@type': 'PackageBaseAddress/3.0.0' }] });
    if (req.url === `/v3-flatcontainer/${PACKAGE}/index.json`) return json({ versions: ['1.0.0', version] });
    if (req.url === `/v3-flatcontainer/${PACKAGE}/${version}/${PACKAGE}.${version}.nupkg`) {
      if (stallNupkg) return;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': nupkg.length });
      return res.end(nupkg);
    }
    res.writeHead(404).end();
  });
  const nugetPort = await listen(nuget);

  // Every tunnel goes to the fixture server, whatever host was asked for (the test checks which).
  proxy = http.createServer((_req, res) => res.writeHead(405).end());
  for (const server of [nuget, proxy]) {
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const upstream = net.connect(nugetPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
}, 60_000);

afterAll(async () => {
  // Tunnels leave the HTTP server's bookkeeping: every socket is ended here.
  for (const socket of sockets) socket.destroy();
  await new Promise((r) => nuget?.close(r));
  await new Promise((r) => proxy?.close(r));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('setup cuda', () => {
  it("runs onnxruntime-node's installer through the proxy, places the provider files, and leaves no temp folder", async () => {
    const pkg = freshPackage('install');
    const bindingDir = path.join(pkg, 'bin', 'napi-v6', 'linux', 'x64');
    const before = ourTempFolders();
    const lines: string[] = [];
    const libs = path.join(dir, 'no-libs');
    fs.mkdirSync(libs, { recursive: true });

    // As under `npx` or `npm run` in the package's folder: npm's variables must not make the installer skip.
    const npmEnv = { npm_config_local_prefix: pkg, npm_package_json: path.join(pkg, 'package.json') };
    const report = await setupCuda({ install: true, packageDir: pkg, platform: 'linux/x64', env: envFor(npmEnv), searchDirs: [libs], onLine: (l) => lines.push(l) });

    expect(tunnels).toContain('api.nuget.org:443');
    expect(requests).toContain(`/v3-flatcontainer/${PACKAGE}/${version}/${PACKAGE}.${version}.nupkg`);
    expect(lines.some((l) => l.startsWith('Downloading https://api.nuget.org/'))).toBe(true);
    for (const [file, data] of Object.entries(FIXTURE_FILES)) expect(fs.readFileSync(path.join(bindingDir, file)).equals(data)).toBe(true);
    expect(report.installed).toBe(true);
    expect(report.bindingDir).toBe(bindingDir);
    expect(report.providerFiles).toEqual([
      { file: 'libonnxruntime_providers_cuda.so', present: true, bytes: FIXTURE_FILES['libonnxruntime_providers_cuda.so'].length },
      { file: 'libonnxruntime_providers_shared.so', present: true, bytes: FIXTURE_FILES['libonnxruntime_providers_shared.so'].length },
    ]);
    // No CUDA here: the report names every library and what to install.
    expect(report.ready).toBe(false);
    expect(report.systemLibraries.every((l) => l.found === null)).toBe(true);
    expect(report.next).toContain('libcudnn.so.9 (cuDNN 9)');
    expect(report.next).toContain('CUDA 12.x and cuDNN 9.x');
    expect(ourTempFolders()).toEqual(before);

    // Present files are not fetched again unless asked; --reinstall fetches them.
    const tunnelsBefore = tunnels.length;
    expect((await setupCuda({ install: true, packageDir: pkg, platform: 'linux/x64', env: envFor(), searchDirs: [libs] })).installed).toBe(false);
    expect(tunnels.length).toBe(tunnelsBefore);
    fs.writeFileSync(path.join(bindingDir, 'libonnxruntime_providers_shared.so'), 'damaged');
    const again = await setupCuda({ install: true, reinstall: true, packageDir: pkg, platform: 'linux/x64', env: envFor(), searchDirs: [libs] });
    expect(again.installed).toBe(true);
    expect(tunnels.length).toBeGreaterThan(tunnelsBefore);
    expect(fs.readFileSync(path.join(bindingDir, 'libonnxruntime_providers_shared.so')).equals(FIXTURE_FILES['libonnxruntime_providers_shared.so'])).toBe(true);
  }, 120_000);

  it('is ready once every CUDA 12 / cuDNN 9 library is found, and names the ones still missing', async () => {
    const pkg = freshPackage('check');
    const bindingDir = path.join(pkg, 'bin', 'napi-v6', 'linux', 'x64');
    for (const [file, data] of Object.entries(FIXTURE_FILES)) fs.writeFileSync(path.join(bindingDir, file), data);
    const cudaDir = path.join(dir, 'cuda-lib64');
    const cudnnDir = path.join(dir, 'cudnn-lib');
    fs.mkdirSync(cudaDir, { recursive: true });
    fs.mkdirSync(cudnnDir, { recursive: true });
    for (const { soname } of CUDA_SYSTEM_LIBRARIES) if (soname !== 'libcudnn.so.9') fs.writeFileSync(path.join(cudaDir, soname), '');

    const partial = await setupCuda({ install: false, packageDir: pkg, platform: 'linux/x64', searchDirs: [cudaDir, cudnnDir] });
    expect(partial.ready).toBe(false);
    expect(partial.systemLibraries.filter((l) => !l.found).map((l) => l.soname)).toEqual(['libcudnn.so.9']);
    expect(partial.next).toMatch(/cannot find libcudnn\.so\.9 \(cuDNN 9\):/);

    fs.writeFileSync(path.join(cudnnDir, 'libcudnn.so.9'), '');
    const ready = await setupCuda({ install: false, packageDir: pkg, platform: 'linux/x64', searchDirs: [cudaDir, cudnnDir] });
    expect(ready.ready).toBe(true);
    expect(ready.installed).toBe(false);
    expect(ready.systemLibraries.find((l) => l.soname === 'libcudnn.so.9')!.found).toBe(path.join(cudnnDir, 'libcudnn.so.9'));
    expect(ready.next).toContain('`--device auto` now tries CUDA first');
  });

  it('a check never installs: missing provider files say how to get them', async () => {
    const pkg = freshPackage('check-only');
    const tunnelsBefore = tunnels.length;
    const report = await setupCuda({ install: false, packageDir: pkg, platform: 'linux/x64', searchDirs: [] });
    expect(tunnels.length).toBe(tunnelsBefore);
    expect(report.installed).toBe(false);
    expect(report.ready).toBe(false);
    expect(report.next).toContain('run `sae-workbench setup cuda`');
  });

  it('an unreachable NuGet (the proxy refuses) is CUDA_INSTALL_FAILED with what to do', async () => {
    const closed = net.createServer();
    const port = await new Promise<number>((r) => closed.listen(0, '127.0.0.1', () => r((closed.address() as net.AddressInfo).port)));
    await new Promise((r) => closed.close(r));
    const before = ourTempFolders();
    const refusedEnv = envFor({ HTTPS_PROXY: `http://127.0.0.1:${port}` });
    const err = await setupCuda({ install: true, packageDir: freshPackage('refused'), platform: 'linux/x64', env: refusedEnv, searchDirs: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkbenchError);
    expect((err as WorkbenchError).code).toBe('CUDA_INSTALL_FAILED');
    expect((err as WorkbenchError).message).toContain('ECONNREFUSED');
    expect((err as WorkbenchError).hint).toContain('api.nuget.org');
    expect(ourTempFolders()).toEqual(before);

    // A reinstall that fails leaves the files that were there, byte for byte, and nothing else.
    const pkg = freshPackage('reinstall-refused');
    const bindingDir = path.join(pkg, 'bin', 'napi-v6', 'linux', 'x64');
    for (const [file, data] of Object.entries(FIXTURE_FILES)) fs.writeFileSync(path.join(bindingDir, file), data);
    const listing = fs.readdirSync(bindingDir).sort();
    await expect(setupCuda({ install: true, reinstall: true, packageDir: pkg, platform: 'linux/x64', env: refusedEnv, searchDirs: [] })).rejects.toMatchObject({ code: 'CUDA_INSTALL_FAILED' });
    expect(fs.readdirSync(bindingDir).sort()).toEqual(listing);
    for (const [file, data] of Object.entries(FIXTURE_FILES)) expect(fs.readFileSync(path.join(bindingDir, file)).equals(data)).toBe(true);
  }, 60_000);

  it("a certificate the machine does not trust (a re-signing proxy) says to set NODE_EXTRA_CA_CERTS", async () => {
    const err = await setupCuda({ install: true, packageDir: freshPackage('untrusted'), platform: 'linux/x64', env: envFor({ NODE_EXTRA_CA_CERTS: undefined }), searchDirs: [] }).catch((e: unknown) => e);
    expect((err as WorkbenchError).code).toBe('CUDA_INSTALL_FAILED');
    expect((err as WorkbenchError).hint).toContain('NODE_EXTRA_CA_CERTS');
  }, 60_000);

  it('a reinstall stopped part-way (Ctrl-C, a cancelled job) puts the previous files back and leaves nothing behind', async () => {
    const pkg = freshPackage('reinstall-stopped');
    const bindingDir = path.join(pkg, 'bin', 'napi-v6', 'linux', 'x64');
    for (const [file, data] of Object.entries(FIXTURE_FILES)) fs.writeFileSync(path.join(bindingDir, file), data);
    const listing = fs.readdirSync(bindingDir).sort();
    const stop = new AbortController();
    stallNupkg = true;
    try {
      const run = setupCuda({ install: true, reinstall: true, packageDir: pkg, platform: 'linux/x64', env: envFor(), searchDirs: [], signal: stop.signal, onLine: (l) => l.startsWith('Downloading') && stop.abort() });
      await expect(run).rejects.toMatchObject({ code: 'CUDA_SETUP_STOPPED' });
    } finally {
      stallNupkg = false;
    }
    expect(fs.readdirSync(bindingDir).sort()).toEqual(listing);
    for (const [file, data] of Object.entries(FIXTURE_FILES)) expect(fs.readFileSync(path.join(bindingDir, file)).equals(data)).toBe(true);
  }, 60_000);

  it('files a killed reinstall left aside are put back, and a setup still running elsewhere is not raced', async () => {
    const pkg = freshPackage('leftover');
    const bindingDir = path.join(pkg, 'bin', 'napi-v6', 'linux', 'x64');
    // A process that is gone: its pid names the folder it left.
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    const aside = path.join(bindingDir, `.cuda-setup-previous-${gone}`);
    fs.mkdirSync(aside);
    for (const [file, data] of Object.entries(FIXTURE_FILES)) fs.writeFileSync(path.join(aside, file), data);
    fs.writeFileSync(path.join(bindingDir, '.cuda-setup.lock'), `${gone}\n`);
    const tunnelsBefore = tunnels.length;
    const report = await setupCuda({ install: true, packageDir: pkg, platform: 'linux/x64', env: envFor(), searchDirs: [] });
    expect(report.installed).toBe(false);
    expect(report.providerFiles.every((f) => f.present)).toBe(true);
    expect(tunnels.length).toBe(tunnelsBefore);
    expect(fs.existsSync(aside)).toBe(false);
    for (const [file, data] of Object.entries(FIXTURE_FILES)) expect(fs.readFileSync(path.join(bindingDir, file)).equals(data)).toBe(true);
    // The stale lock was taken over and released by a reinstall; one held by a live process refuses.
    await setupCuda({ install: true, reinstall: true, packageDir: pkg, platform: 'linux/x64', env: envFor(), searchDirs: [] });
    expect(fs.existsSync(path.join(bindingDir, '.cuda-setup.lock'))).toBe(false);
    fs.writeFileSync(path.join(bindingDir, '.cuda-setup.lock'), `${process.ppid}\n`);
    await expect(setupCuda({ install: true, reinstall: true, packageDir: pkg, platform: 'linux/x64', env: envFor(), searchDirs: [] })).rejects.toMatchObject({ code: 'CUDA_SETUP_BUSY' });
    for (const [file, data] of Object.entries(FIXTURE_FILES)) expect(fs.readFileSync(path.join(bindingDir, file)).equals(data)).toBe(true);
  }, 120_000);

  it('refuses platforms without a CUDA build, and a package whose installer is gone', async () => {
    await expect(setupCuda({ install: false, platform: 'darwin/arm64' })).rejects.toMatchObject({ code: 'CUDA_UNSUPPORTED_PLATFORM' });
    const pkg = freshPackage('no-script');
    fs.rmSync(path.join(pkg, 'script'), { recursive: true });
    await expect(setupCuda({ install: true, packageDir: pkg, platform: 'linux/x64', env: envFor(), searchDirs: [] })).rejects.toMatchObject({ code: 'CUDA_INSTALLER_MISSING' });
  });
});
