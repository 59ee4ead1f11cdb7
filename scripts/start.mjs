#!/usr/bin/env node
/**
 * `npm start`: open the desktop app. Electron's binary is not downloaded at install time (so
 * `npm install` needs only the npm registry); it is fetched here on first start. Where it cannot
 * be fetched, say so and point to browser mode.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    const p = require('electron'); // the path to the binary, or throws when it was never downloaded
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

let binary = electronBinary();
if (!binary) {
  console.log('Fetching the Electron binary (first start only)...');
  const installer = path.join(path.dirname(require.resolve('electron/package.json')), 'install.js');
  const r = spawnSync(process.execPath, [installer], { encoding: 'utf8', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' } });
  binary = r.status === 0 ? electronBinary() : null;
  if (!binary) {
    const reason = `${r.stderr ?? ''}`.split('\n').find((l) => /Error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED/.test(l));
    if (reason) console.error(`(download failed: ${reason.trim()})`);
  }
}
if (!binary) {
  console.error('\nThe Electron binary is missing and could not be downloaded on this machine, so the desktop window cannot open; run `npm run serve` instead to use SAE Workbench in your browser (same app, core in Node).');
  process.exit(1);
}

// better-sqlite3 is built for Node by npm install; Electron needs its own ABI build, kept apart.
const electronSqliteDir = path.join(root, 'out/electron-native');
const electronSqlite = path.join(electronSqliteDir, 'better_sqlite3.node');
if (!fs.existsSync(electronSqlite)) {
  console.log('Building better-sqlite3 for Electron (first start only)...');
  const build = spawnSync('npx', ['--no-install', 'electron-rebuild', '--force', '--only', 'better-sqlite3'], { cwd: root, stdio: 'inherit' });
  const built = path.join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  if (build.status !== 0 || !fs.existsSync(built)) {
    console.error('Could not build better-sqlite3 for Electron (it needs Electron headers from the network). Use `npm run serve` meanwhile.');
    process.exit(1);
  }
  fs.mkdirSync(electronSqliteDir, { recursive: true });
  fs.copyFileSync(built, electronSqlite);
  // Put the Node build back so the CLI, tests and browser mode keep working.
  spawnSync('npm', ['rebuild', 'better-sqlite3'], { cwd: root, stdio: 'inherit' });
}

const buildResult = spawnSync('npx', ['--no-install', 'electron-vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
if (buildResult.status !== 0) process.exit(buildResult.status ?? 1);
const run = spawnSync(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, SAE_WORKBENCH_SQLITE_BINDING: electronSqlite } });
process.exit(run.status ?? 0);
