import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './main';
import { makeTempDir } from '../testing/tempDirs';

describe('sae-workbench demo', () => {
  const tmp = makeTempDir('demo-cli');
  afterAll(() => tmp.cleanup());

  it('writes the bundle to --out and prints where and what was planted', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const dir = path.join(tmp.dir, 'bundle');
    const code = await runCli(['demo', '--out', dir, '--home', path.join(tmp.dir, 'home')], { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/planted: {2}blocks\.2\.hook_resid_post at "Step" raises "quickly"/);
    expect(fs.existsSync(path.join(dir, 'models', 'adhd', 'model.safetensors'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'bundle.json'))).toBe(true);
  }, 120_000);

  it('fails with a named error when --out cannot be written', async () => {
    const blocker = path.join(tmp.dir, 'file');
    fs.writeFileSync(blocker, 'not a folder');
    const err: string[] = [];
    const code = await runCli(['demo', '--out', path.join(blocker, 'bundle'), '--home', path.join(tmp.dir, 'home')], { stdout: () => undefined, stderr: (l) => err.push(l) });
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/Cannot write the demo bundle to .*file[/\\]bundle[\s\S]*Hint: /);
  });
});
