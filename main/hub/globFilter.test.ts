import { describe, expect, it } from 'vitest';
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
});
