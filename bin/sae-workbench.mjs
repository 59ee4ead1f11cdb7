#!/usr/bin/env node
// Installed entry: registers tsx (a runtime dependency) in this process and runs the TypeScript
// CLI here, so a checkout needs no build step and no wrapper process stands between the shell and
// the core (a killed wrapper would leave the core running, holding the port and the home lock).
import { readFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';

// Asked before every cluster submission (the node's copy must be this version): answered without loading the app.
if (process.argv[2] === '--version') {
  console.log(`sae-workbench ${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}`);
  process.exit(0);
}

register();
const { runCli } = await import('../main/cli/main.ts');
const code = await runCli(process.argv.slice(2), { stdout: (l) => console.log(l), stderr: (l) => console.error(l) });
process.exit(code);
