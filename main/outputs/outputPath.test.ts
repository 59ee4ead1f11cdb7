import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../errors';
import { makeTempDir } from '../testing/tempDirs';
import { makeFolders, outputError, planOutput, writeOutputFile, writeOutputFolder, type OutputRequest } from './outputPath';

const tmp = makeTempDir('output-path');
afterAll(tmp.cleanup);
let root: string;
let n = 0;
beforeEach(() => {
  root = path.join(tmp.dir, `case-${++n}`);
  fs.mkdirSync(root);
});

const cli = (cwd = root) => ({ surface: 'cli' as const, cwd });
function req(p: string, extra: Partial<OutputRequest> = {}): OutputRequest {
  return { option: '--out', path: p, origin: cli(), kind: 'file', inputs: [], overwrite: false, ...extra };
}
function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkbenchError);
    return `${(err as WorkbenchError).code}: ${(err as WorkbenchError).message} | ${(err as WorkbenchError).hint}`;
  }
  return 'ok';
}
/** A model-like input folder with weights. */
function model(): string {
  const dir = path.join(root, 'model');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'model.safetensors'), 'weights');
  fs.writeFileSync(path.join(dir, 'config.json'), '{}');
  return dir;
}

describe('planOutput: the one rule for output paths', () => {
  it('resolves a relative CLI path against the working directory given, and creates nothing', () => {
    const p = planOutput(req('sub/dir/acts.safetensors'));
    expect(p.target).toBe(path.join(fs.realpathSync(root), 'sub', 'dir', 'acts.safetensors'));
    expect(p.replaces).toEqual([]);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('refuses a relative path over the API, and accepts an absolute one', () => {
    expect(codeOf(() => planOutput(req('out/saes', { origin: { surface: 'api' }, option: 'out', kind: 'folder' })))).toMatch(/^OUTPUT_PATH_INVALID: out "out\/saes" is a relative path.*\| Give the full path/);
    expect(codeOf(() => planOutput(req(path.join(root, 'saes'), { origin: { surface: 'api' }, option: 'out', kind: 'folder' })))).toBe('ok');
  });

  it('refuses an output that is an input, inside one, a link to one, or would write over one', () => {
    const m = model();
    const inputs = [{ label: '--model', path: m }];
    expect(codeOf(() => planOutput(req(path.join(m, 'model.safetensors'), { inputs, overwrite: true })))).toMatch(/^OUTPUT_INSIDE_INPUT: --out .*model\.safetensors lies inside --model/);
    expect(codeOf(() => planOutput(req(m, { inputs, kind: 'folder', files: ['x.json'], overwrite: true })))).toMatch(/^OUTPUT_INSIDE_INPUT: .* is --model itself/);
    expect(codeOf(() => planOutput(req(path.join(m, 'new', 'x.json'), { inputs })))).toMatch(/^OUTPUT_INSIDE_INPUT/);
    // Through a symbolic link to the folder, and through a hard link to the weights.
    fs.symlinkSync(m, path.join(root, 'link'));
    expect(codeOf(() => planOutput(req('link/model.safetensors', { inputs, overwrite: true })))).toMatch(/^OUTPUT_INSIDE_INPUT/);
    fs.linkSync(path.join(m, 'model.safetensors'), path.join(root, 'hard.safetensors'));
    expect(codeOf(() => planOutput(req('hard.safetensors', { inputs, overwrite: true })))).toMatch(/^OUTPUT_INSIDE_INPUT: .*same file as one in --model/);
    // A folder that contains the input is fine while nothing it writes lands on the input...
    expect(codeOf(() => planOutput(req(root, { inputs, kind: 'folder', files: ['diff.json'] })))).toBe('ok');
    // ...and refused when a file it writes would.
    expect(codeOf(() => planOutput(req(root, { inputs, kind: 'folder', files: ['model/config.json'], overwrite: true })))).toMatch(/^OUTPUT_INSIDE_INPUT: .* would write over --model/);
    // A folder of unknown contents (the demo bundle) may not contain an input at all.
    expect(codeOf(() => planOutput(req(root, { inputs, kind: 'folder', files: null, overwrite: true })))).toMatch(/^OUTPUT_INSIDE_INPUT/);
    // An input file given as a relative path is compared where the user meant it.
    fs.writeFileSync(path.join(root, 'data.jsonl'), '{}');
    expect(codeOf(() => planOutput(req(path.join(root, 'data.jsonl'), { inputs: [{ label: '--dataset', path: 'data.jsonl' }], overwrite: true })))).toMatch(/^OUTPUT_INSIDE_INPUT: .* is --dataset itself/);
  });

  it('refuses to replace anything that exists unless asked, naming it', () => {
    fs.writeFileSync(path.join(root, 'a.json'), 'old');
    expect(codeOf(() => planOutput(req('a.json')))).toMatch(/^OUTPUT_EXISTS: --out: ".*a\.json" exists; nothing was changed\. \| Choose a new path, or add --overwrite/);
    expect(codeOf(() => planOutput(req(path.join(root, 'a.json'), { origin: { surface: 'api' }, option: 'out' })))).toMatch(/"overwrite": true/);
    expect(planOutput(req('a.json', { overwrite: true })).replaces).toEqual([path.join(fs.realpathSync(root), 'a.json')]);
    // Folders: only the files the command writes count; other files in the folder do not.
    fs.mkdirSync(path.join(root, 'sae', 'notes'), { recursive: true });
    fs.writeFileSync(path.join(root, 'sae', 'notes', 'thesis.txt'), 'mine');
    expect(codeOf(() => planOutput(req('sae', { kind: 'folder', files: ['cfg.json', 'sae_weights.safetensors'] })))).toBe('ok');
    fs.writeFileSync(path.join(root, 'sae', 'cfg.json'), '{}');
    expect(codeOf(() => planOutput(req('sae', { kind: 'folder', files: ['cfg.json', 'sae_weights.safetensors'] })))).toMatch(/^OUTPUT_EXISTS: .*cfg\.json" exists.*only the files this command writes are replaced/);
    expect(codeOf(() => planOutput(req('sae', { kind: 'folder', files: null })))).toMatch(/^OUTPUT_EXISTS: .*is a folder that is not empty/);
  });

  it('refuses special file systems and things that are not regular files, whatever --overwrite says', () => {
    const started = Date.now();
    for (const p of ['/proc/x', '/proc/self/x/y', '/sys/x', '/dev/null', '/dev/x/y']) {
      expect(codeOf(() => planOutput(req(p, { overwrite: true }))), p).toMatch(/^OUTPUT_PATH_INVALID: .*special file system.*\| Write outputs to a folder on a disk/);
      expect(codeOf(() => planOutput(req(p, { kind: 'folder', overwrite: true }))), p).toMatch(/^OUTPUT_PATH_INVALID/);
    }
    expect(Date.now() - started).toBeLessThan(2000);
    fs.mkdirSync(path.join(root, 'folder'));
    expect(codeOf(() => planOutput(req('folder', { overwrite: true })))).toMatch(/^OUTPUT_PATH_INVALID: --out ".*folder" is a folder; a file is written there\. \| Give a file name/);
    fs.writeFileSync(path.join(root, 'file'), 'x');
    expect(codeOf(() => planOutput(req('file', { kind: 'folder', overwrite: true })))).toMatch(/^OUTPUT_PATH_INVALID: .* is a file; a folder is written there/);
    expect(codeOf(() => planOutput(req('file/inside.json')))).toMatch(/^OUTPUT_PATH_INVALID: .*is a file, so nothing can be created inside it \(ENOTDIR\)/);
    expect(spawnSync('mkfifo', [path.join(root, 'fifo')]).status).toBe(0);
    expect(codeOf(() => planOutput(req('fifo', { overwrite: true })))).toMatch(/^OUTPUT_PATH_INVALID: .*a named pipe \(FIFO\)/);
    fs.symlinkSync(path.join(root, 'nowhere'), path.join(root, 'dangling'));
    expect(codeOf(() => planOutput(req('dangling', { overwrite: true })))).toMatch(/^OUTPUT_PATH_INVALID: .*symbolic link to something that does not exist/);
    fs.symlinkSync('loop', path.join(root, 'loop'));
    expect(codeOf(() => planOutput(req('loop/x.json')))).toMatch(/^OUTPUT_PATH_INVALID/);
    // A folder output whose file slot holds a folder.
    fs.mkdirSync(path.join(root, 'out', 'cfg.json'), { recursive: true });
    expect(codeOf(() => planOutput(req('out', { kind: 'folder', files: ['cfg.json'], overwrite: true })))).toMatch(/^OUTPUT_PATH_INVALID: .*cfg\.json" is a folder/);
    expect(codeOf(() => planOutput(req('out', { kind: 'folder', files: ['../escape.json'] })))).toMatch(/^OUTPUT_PATH_INVALID: .*would fall outside the folder/);
    expect(codeOf(() => planOutput(req('')))).toMatch(/^OUTPUT_PATH_INVALID: --out is empty/);
    expect(codeOf(() => planOutput(req('a\0b')))).toMatch(/^OUTPUT_PATH_INVALID: --out contains a NUL/);
    expect(codeOf(() => planOutput(req(`${'x'.repeat(300)}.json`)))).toMatch(/^OUTPUT_PATH_INVALID: .*ENAMETOOLONG/);
  });
});

describe('outputError: system errors on output paths', () => {
  const err = (code: string) => Object.assign(new Error(`${code}: something, open '/x/y'`), { code, path: '/x/y' });
  it.each([
    ['EEXIST', 'OUTPUT_EXISTS'],
    ['EISDIR', 'OUTPUT_PATH_INVALID'],
    ['ENOTDIR', 'OUTPUT_PATH_INVALID'],
    ['ENOENT', 'OUTPUT_PATH_INVALID'],
    ['ELOOP', 'OUTPUT_PATH_INVALID'],
    ['EROFS', 'OUTPUT_NOT_WRITABLE'],
    ['EACCES', 'OUTPUT_NOT_WRITABLE'],
    ['EPERM', 'OUTPUT_NOT_WRITABLE'],
    ['ENOSPC', 'DISK_FULL'],
  ])('%s becomes %s, naming the path, with a hint', (code, expected) => {
    const e = outputError(err(code), '/x/y', '--out') as WorkbenchError;
    expect(e).toBeInstanceOf(WorkbenchError);
    expect(e.code).toBe(expected);
    expect(e.message).toContain('/x/y');
    expect(e.hint).toBeTruthy();
  });
  it('leaves a WorkbenchError as it is and rethrows what it does not know', () => {
    const w = new WorkbenchError('X', 'y');
    expect(outputError(w, '/x')).toBe(w);
    const bug = new TypeError('bug');
    expect(outputError(bug, '/x')).toBe(bug);
  });
  it('a read-only place found while checking is OUTPUT_NOT_WRITABLE or refused as special, never a crash', () => {
    // /proc/self is read-only for new files even to root: refused up front as a special file system.
    expect(codeOf(() => planOutput(req('/proc/self/new.json')))).toMatch(/^OUTPUT_PATH_INVALID/);
  });
});

describe('writing outputs', () => {
  it('writeOutputFile creates missing folders, writes whole, and re-checks before writing', () => {
    const planned = planOutput(req('a/b/out.json'));
    expect(writeOutputFile(planned, '{"v":1}')).toBe(path.join(fs.realpathSync(root), 'a', 'b', 'out.json'));
    expect(fs.readFileSync(path.join(root, 'a', 'b', 'out.json'), 'utf8')).toBe('{"v":1}');
    expect(fs.readdirSync(path.join(root, 'a', 'b'))).toEqual(['out.json']);
    // The world changed after the check: the same plan now meets an existing file.
    expect(codeOf(() => writeOutputFile(planned, 'again'))).toMatch(/^OUTPUT_EXISTS/);
    expect(fs.readFileSync(path.join(root, 'a', 'b', 'out.json'), 'utf8')).toBe('{"v":1}');
  });

  it('writeOutputFolder replaces only the files it writes, keeps everything else, and leaves no staging behind', () => {
    const dir = path.join(root, 'blocks.2.hook_resid_post');
    fs.mkdirSync(path.join(dir, 'notes'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'notes', 'thesis.txt'), 'mine');
    fs.writeFileSync(path.join(dir, 'cfg.json'), 'old cfg');
    const files = ['cfg.json', 'sae_weights.safetensors'];
    expect(codeOf(() => writeOutputFolder(planOutput(req(dir, { kind: 'folder', files, overwrite: true })), (stage) => {
      fs.writeFileSync(path.join(stage, 'cfg.json'), 'new cfg');
      fs.writeFileSync(path.join(stage, 'sae_weights.safetensors'), 'w');
    }, { completeMarker: 'cfg.json' }))).toBe('ok');
    expect(fs.readFileSync(path.join(dir, 'cfg.json'), 'utf8')).toBe('new cfg');
    expect(fs.readFileSync(path.join(dir, 'notes', 'thesis.txt'), 'utf8')).toBe('mine');
    expect(fs.readdirSync(dir).sort()).toEqual(['cfg.json', 'notes', 'sae_weights.safetensors']);
  });

  it('a failure while writing removes the staging folder and the folders it created, nothing else', () => {
    const dir = path.join(root, 'new', 'deep');
    expect(() =>
      writeOutputFolder(planOutput(req(dir, { kind: 'folder', files: ['x'] })), (stage) => {
        fs.writeFileSync(path.join(stage, 'x'), 'half');
        throw new WorkbenchError('DISK_FULL', 'full');
      }),
    ).toThrow(/full/);
    expect(fs.readdirSync(root)).toEqual([]);
    // A file staged but not planned is a bug, refused before anything is replaced.
    fs.mkdirSync(path.join(root, 'keep'));
    fs.writeFileSync(path.join(root, 'keep', 'x'), 'old');
    expect(() => writeOutputFolder(planOutput(req(path.join(root, 'keep'), { kind: 'folder', files: ['x'], overwrite: true })), (stage) => fs.writeFileSync(path.join(stage, 'y'), 'y'))).toThrow(/not planned/);
    expect(fs.readdirSync(path.join(root, 'keep'))).toEqual(['x']);
  });

  it('makeFolders creates level by level and reports what it created', () => {
    expect(makeFolders(path.join(root, 'p', 'q'))).toEqual([path.join(root, 'p'), path.join(root, 'p', 'q')]);
    expect(makeFolders(path.join(root, 'p'))).toEqual([]);
  });
});
