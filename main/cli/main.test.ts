import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/tempDirs';
import { runCliCaptured as cli } from '../testing/cliRun';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function home(): string {
  const t = makeTempDir('cli');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('sae-workbench CLI', () => {
  it('--help lists the commands', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/serve/);
    expect(r.out).toMatch(/jobs/);
  });

  it('an unknown command or option exits non-zero with usage', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    const bad = await cli(['jobs', 'list', '--no-such-flag']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Usage/);
  });

  it('jobs add --wait runs a job and jobs list shows it; errors print message and hint', async () => {
    const h = home();
    const file = path.join(h, 'x.txt');
    fs.writeFileSync(file, 'x');
    const added = await cli(['jobs', 'add', 'files.verify', '--params', JSON.stringify({ paths: [file] }), '--wait', '--home', h]);
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/completed/);
    const listed = await cli(['jobs', 'list', '--json', '--home', h]);
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ kind: 'files.verify', state: 'completed' })]);
    const bad = await cli(['jobs', 'add', 'files.verify', '--params', '{oops', '--home', h]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/Error: --params is not valid JSON[\s\S]*Hint:/);
  });

  it('jobs --help and jobs kinds list each kind with its parameters; a bad key names the valid ones', async () => {
    const help = await cli(['jobs', '--help']);
    expect(help.out).toContain('  hub.download     repoId [repoType] [revision] [include] [exclude] [files] [parallelFiles] [keepPartialOnCancel]');
    const kinds = await cli(['jobs', 'kinds']);
    expect(kinds.out).toContain('files.verify  (cpu, pausable)\n  Compute the sha256');
    expect(kinds.out).toContain('  revision  string, default "main"\n      Branch, tag or commit sha to download.');
    const json = JSON.parse((await cli(['jobs', 'kinds', '--json'])).out) as { kind: string; paramsSchema: { required?: string[] } }[];
    expect(json.find((k) => k.kind === 'hub.download')!.paramsSchema.required).toEqual(['repoId']);
    const h = home();
    const bad = await cli(['jobs', 'add', 'files.verify', '--params', '{"path":["/x"]}', '--home', h]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('unknown key "path"');
    expect(bad.err).toContain('Hint: Valid keys: paths (list of strings, required), expected (object).');
  });

  it('jobs add without --wait queues for the app, and jobs cancel cancels a queued job', async () => {
    const h = home();
    const queued = await cli(['jobs', 'add', 'files.verify', '--params', JSON.stringify({ paths: [h] }), '--home', h]);
    expect(queued.code).toBe(0);
    const id = queued.out.split(/\s+/)[0];
    expect((await cli(['jobs', 'cancel', id, '--home', h])).out).toMatch(/cancelled/);
  });

  it('jobs add applies the API validation and wording: wrong-typed params, unknown kinds, priority type and range', async () => {
    const h = home();
    const cases: [string[], RegExp][] = [
      [['--params', '{"paths": 5}'], /Error: Invalid parameters for a "files\.verify" job: paths: .*expected array/],
      [['--params', '{"paths": []}'], /Error: Invalid parameters for a "files\.verify" job: paths: /],
      [['--params', '[1,2]'], /Error: Invalid parameters for a "files\.verify" job: \(params\): /],
      [['--params', '{"paths": ["/x"]}', '--priority', 'abc'], /Error: Invalid parameters for jobs\.add: priority: .*expected number/],
      [['--params', '{"paths": ["/x"]}', '--priority', '1.5'], /Error: Invalid parameters for jobs\.add: priority: .*expected int/],
      [['--params', '{"paths": ["/x"]}', '--priority', '101'], /Error: Invalid parameters for jobs\.add: priority: .*<=100/],
      [['--params', '{"paths": ["/x"]}', '--priority=-101'], /Error: Invalid parameters for jobs\.add: priority: .*>=-100/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['jobs', 'add', 'files.verify', ...args, '--home', h]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.err).not.toMatch(/ZodError|SqliteError|a bug/);
    }
    const unknown = await cli(['jobs', 'add', 'no.such.kind', '--home', h]);
    expect(unknown.err).toMatch(/Error: There is no job kind "no\.such\.kind"[\s\S]*Hint: Known kinds:/);
    // Nothing was queued by any of them; a valid one still is.
    expect((await cli(['jobs', 'list', '--home', h])).out).toMatch(/No jobs/);
    expect((await cli(['jobs', 'add', 'files.verify', '--params', '{"paths":["/x"]}', '--priority=-100', '--home', h])).code).toBe(0);
  });
});
