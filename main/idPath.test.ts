import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INDEX_ID_PATTERN, JOB_ID_PATTERN } from '../preload/api';
import { runDir } from './home';
import { idPath } from './idPath';
import { corpusFile } from './index/corpusStore';
import { indexFile } from './index/indexDatabase';

const root = path.resolve('/data/home/runs');

describe('idPath: an id joined under a root never leaves it', () => {
  it('joins a plain id (and a suffix) directly under the root', () => {
    expect(idPath(root, '20261205-e8a7b5c3')).toBe(path.join(root, '20261205-e8a7b5c3'));
    expect(idPath(root, 'ix-3fa9c01d2e', '.sqlite')).toBe(path.join(root, 'ix-3fa9c01d2e.sqlite'));
    // A dot inside a name is a name, not a step.
    expect(idPath(root, 'a..b')).toBe(path.join(root, 'a..b'));
  });

  it.each([
    ['../../secret', /path separator/],
    ['..', /names a folder itself/],
    ['.', /names a folder itself/],
    ['/etc/passwd', /path separator/],
    ['a/b', /path separator/],
    ['a\\..\\..\\b', /path separator/],
    ['abc\0def', /NUL/],
    ['', /empty/],
    ['x'.repeat(10_000), /10000 characters long/],
  ])('refuses %j with INVALID_ID naming the problem', (id, problem) => {
    let thrown: unknown;
    try {
      idPath(root, id);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'INVALID_ID', message: expect.stringMatching(problem) });
    // The message quotes the id escaped and bounded.
    expect((thrown as Error).message.length).toBeLessThan(400);
    expect((thrown as Error).message).not.toContain('\0');
  });

  it('refuses a suffix that would step out', () => {
    expect(() => idPath(root, 'ix-3fa9c01d2e', '/../../x')).toThrow(expect.objectContaining({ code: 'INVALID_ID' }));
  });

  it('guards every id-to-path function of the home: runs, index files, corpora', () => {
    const home = path.resolve('/data/home');
    for (const join of [runDir, indexFile, corpusFile]) {
      expect(() => join(home, '../../secret')).toThrow(expect.objectContaining({ code: 'INVALID_ID' }));
    }
    expect(runDir(home, '20261205-e8a7b5c3')).toBe(path.join(home, 'runs', '20261205-e8a7b5c3'));
  });

  it('the contract patterns accept only single plain names', () => {
    for (const bad of ['../../secret', '20261205-e8a7b5c3/..', '/20261205-e8a7b5c3', '20261205-e8a7b5c3\0', 'ix-3fa9c01d2e/../x']) {
      expect(JOB_ID_PATTERN.test(bad) || INDEX_ID_PATTERN.test(bad)).toBe(false);
    }
  });
});
