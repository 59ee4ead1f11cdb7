/**
 * `npx tsx bench/abuseSuite.ts [--cases 10000] [--seed 1]`: the long abuse suite of issue 12.
 * The same cases as main/server/abuse.test.ts and main/formats/brokenFiles.test.ts, drawn at
 * random in bulk: malformed HTTP requests, WebSocket frames and API messages against a real
 * `serve` process (health checked after every case), broken files through every loader, and
 * random folder graphs full of symlink loops through the Library walk; issue 16's backtracking
 * regexes as conditions, experiments on overflowing models, damaged SQLite files, and bad output
 * paths for every command that writes one (main/testing/abuse/). Prints counts per category
 * and outcome, and every failure; exits 1 if there was any.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { recognizeTree } from '../main/library/recognizeItems';
import { SeededRandom } from '../main/random/seededRandom';
import { FIXED_DAMAGES, runLoaderCase, TARGETS, type Rng } from '../main/testing/loaderAbuse';
import { AbuseReport, loggedUncaught, makeSandbox, runServerAbuse, serveForAbuse, treeChanges } from '../main/testing/serverAbuse';
import { runRegexAbuse } from '../main/testing/abuse/regexAbuse';
import { runNonfiniteAbuse } from '../main/testing/abuse/nonfiniteAbuse';
import { runSqliteAbuse } from '../main/testing/abuse/sqliteAbuse';
import { runOutputPathAbuse } from '../main/testing/abuse/outputPathAbuse';

const { values } = parseArgs({ options: { cases: { type: 'string' }, seed: { type: 'string' } } });
const total = Number(values.cases ?? 10_000);
const seed = Number(values.seed ?? 1);
// How the cases are split: most go to the cheap, high-variety API and HTTP cases.
const share = { api: 0.5, http: 0.18, frames: 0.12, loaders: 0.15, walks: 0.05 };
const plan = Object.fromEntries(Object.entries(share).map(([k, v]) => [k, Math.round(total * v)])) as Record<keyof typeof share, number>;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-wb-abuse-bench-'));
const report = new AbuseReport();
const started = Date.now();
const progress = (done: number) => {
  if (done % 500 === 0) process.stderr.write(`  ${done} cases, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
};
console.log(`SAE Workbench abuse suite: ${total} cases (seed ${seed}), ${os.cpus().length} CPU cores, load average ${os.loadavg()[0].toFixed(1)}`);

try {
  // 1. Against a served core.
  const sandbox = await makeSandbox(path.join(root, 'sandbox'));
  const server = await serveForAbuse(path.join(root, 'served'));
  const before = sandbox.snapshot();
  try {
    await runServerAbuse(server, sandbox, { seed, http: plan.http, frames: plan.frames, api: plan.api }, report, progress);
    // Issue 16: backtracking regexes as conditions (1 per 50 cases), overflowing models (jobs: slow, at most 30).
    await runRegexAbuse(server, path.join(root, 'regex'), { seed, cases: Math.round(total / 50) }, report, progress);
    await runNonfiniteAbuse(server, path.join(root, 'nonfinite'), { seed, cases: Math.min(30, Math.round(total / 300)) }, report, progress);
  } finally {
    const uncaught = loggedUncaught(server.home);
    const changes = treeChanges(before, sandbox.snapshot());
    const code = await server.stop();
    await sandbox.close();
    report.record('server: after the run', uncaught.length + changes.length === 0 && code === 0 ? 'clean' : 'dirty', 0, uncaught.length + changes.length ? [...uncaught, ...changes].join('\n') : code === 0 ? undefined : `serve exited ${code} on SIGTERM`);
  }

  // 2. Broken files through every loader, random damage.
  const rng = new SeededRandom(seed + 1);
  const next: Rng = () => rng.next();
  for (let i = 0; i < plan.loaders; i++) {
    const target = rng.pick(TARGETS);
    const damage = rng.pick(FIXED_DAMAGES);
    const r = await runLoaderCase(path.join(root, 'loader-case'), target, damage, next);
    report.record(`loaders: ${target.kind}`, r.outcome === 'refused' ? r.detail.split(':')[0] : r.outcome, r.ms, r.outcome === 'failed' ? `${target.name} / ${damage}: ${r.detail}` : undefined);
    progress(report.cases);
  }

  // 2b. SQLite files (issue 16): random damage to indexes, the token store and the app database
  // (each case 6 random reads), and FIFOs in place of them under a served core; on top of the plan.
  await runSqliteAbuse(path.join(root, 'sqlite'), { seed: seed + 2, damaged: Math.round(total * 0.03), special: Math.round(total * 0.01) }, report, progress);

  // 3. Random folder graphs with symlinks to ancestors, siblings and themselves.
  for (let i = 0; i < plan.walks; i++) {
    const dir = path.join(root, 'walk');
    fs.rmSync(dir, { recursive: true, force: true });
    const dirs = randomTree(dir, rng);
    const t = Date.now();
    const problems: string[] = [];
    const items = recognizeTree(dir, { origin: 'bench', source: () => ({ type: 'local', root: dir }) }, problems);
    const ms = Date.now() - t;
    const paths = items.map((x) => x.path);
    const failure = ms > 5000 ? `took ${ms} ms over ${dirs} folders` : new Set(paths).size !== paths.length ? 'an item was listed twice' : undefined;
    report.record('library walk: symlink graphs', problems.some((p) => p.includes('already scanned')) ? 'loop reported' : 'no loop', ms, failure);
    progress(report.cases);
  }

  // 4. Output paths (issue 16): bad --out / `out` values for every writing command, CLI and API.
  const outputCases = Math.round(total * 0.06);
  await runOutputPathAbuse(path.join(root, 'outputs'), { seed: seed + 16, cli: Math.round(outputCases * 0.6), api: outputCases - Math.round(outputCases * 0.6) }, report, progress);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}

for (const line of report.lines()) console.log(line);
console.log(`${report.cases} cases, ${report.healthChecks} health checks, ${report.failures.length} failures, ${((Date.now() - started) / 1000).toFixed(0)} s`);
for (const f of report.failures.slice(0, 50)) console.log(`FAILED ${f}`);
process.exit(report.failures.length ? 1 : 0);

/** Up to ~40 folders, a few holding an SAE-looking cfg.json, with links back up, across and onto themselves. */
function randomTree(dir: string, rng: SeededRandom): number {
  const made: string[] = [dir];
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 5 + rng.int(35); i++) {
    const parent = rng.pick(made);
    const child = path.join(parent, `d${i}`);
    if (path.relative(dir, child).split(path.sep).length > 6) continue;
    fs.mkdirSync(child);
    made.push(child);
    if (rng.next() < 0.2) fs.writeFileSync(path.join(child, 'result.json'), JSON.stringify({ i }));
  }
  for (let i = 0; i < 1 + rng.int(12); i++) {
    const from = rng.pick(made);
    const to = rng.pick(made);
    try {
      fs.symlinkSync(path.relative(from, to) || '.', path.join(from, `link${i}`));
    } catch {
      // name taken: skip
    }
  }
  return made.length;
}
