import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/workbenchErrors';
import { fnmatchToRegExp, pathFilter } from './globFilter';

const files = [
  'config.json',
  'model.safetensors',
  'README.md',
  'blocks.0.hook_resid_post/cfg.json',
  'blocks.0.hook_resid_post/sae_weights.safetensors',
  'blocks.1.hook_resid_post/cfg.json',
  'deep/a/b/c.txt',
];

describe('fnmatch semantics (huggingface_hub allow/ignore patterns)', () => {
  it('"*" crosses "/" like Python fnmatch', () => {
    expect(files.filter(pathFilter(['*.json']))).toEqual(['config.json', 'blocks.0.hook_resid_post/cfg.json', 'blocks.1.hook_resid_post/cfg.json']);
    expect(fnmatchToRegExp('deep/*').test('deep/a/b/c.txt')).toBe(true);
  });
  it('a trailing "/" means everything under the folder', () => {
    expect(files.filter(pathFilter(['blocks.0.hook_resid_post/']))).toEqual(['blocks.0.hook_resid_post/cfg.json', 'blocks.0.hook_resid_post/sae_weights.safetensors']);
  });
  it('exclude applies after include', () => {
    expect(files.filter(pathFilter(['blocks.*'], ['*.safetensors']))).toEqual(['blocks.0.hook_resid_post/cfg.json', 'blocks.1.hook_resid_post/cfg.json']);
    expect(files.filter(pathFilter(undefined, ['*.md', 'deep/']))).toEqual(files.filter((f) => f !== 'README.md' && !f.startsWith('deep/')));
  });
  it('handles ?, character classes, negated classes and an unclosed "["', () => {
    expect(files.filter(pathFilter(['blocks.?.hook_resid_post/cfg.json']))).toHaveLength(2);
    expect(files.filter(pathFilter(['blocks.[1].*']))).toEqual(['blocks.1.hook_resid_post/cfg.json']);
    expect(files.filter(pathFilter(['blocks.[!1].*/cfg.json']))).toEqual(['blocks.0.hook_resid_post/cfg.json']);
    expect(fnmatchToRegExp('a[b').test('a[b')).toBe(true);
    expect(fnmatchToRegExp('a.b').test('axb')).toBe(false);
  });
  it('is case-sensitive (POSIX) and matches the whole path', () => {
    expect(files.filter(pathFilter(['readme.md']))).toEqual([]);
    expect(files.filter(pathFilter(['config']))).toEqual([]);
  });
  it('an empty include list keeps everything', () => {
    expect(files.filter(pathFilter([]))).toEqual(files);
  });
  it('sets hold backslashes, "[" and a leading "^" literally, as Python fnmatch does', () => {
    expect(fnmatchToRegExp('a[\\]b').test('a\\b')).toBe(true);
    expect(fnmatchToRegExp('a[[]b').test('a[b')).toBe(true);
    expect(fnmatchToRegExp('a[[:alpha:]]').test('ax')).toBe(false);
    expect(fnmatchToRegExp('a[^x]').test('a^')).toBe(true);
    expect(fnmatchToRegExp('a[^x]').test('a\\')).toBe(false);
    expect(fnmatchToRegExp('a[!x]').test('ay')).toBe(true);
  });
  it('matches in linear time: a glob that makes a backtracking engine run for minutes answers at once', () => {
    const t0 = performance.now();
    expect(fnmatchToRegExp('*a*a*a*a*a*a*a*a*b').test('a'.repeat(60))).toBe(false);
    expect(pathFilter(['*a*a*a*a*a*a*a*a*a*a*a*a*b'])('a'.repeat(5000))).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
  it('refuses an invalid set with GLOB_INVALID', () => {
    expect(errorOf(() => fnmatchToRegExp('blocks.[9-0]')).code).toBe('GLOB_INVALID');
  });
});
