/**
 * huggingface_hub's allow_patterns / ignore_patterns: Python fnmatch (POSIX: case-sensitive,
 * "*" and "?" also match "/"), and a pattern ending with "/" means everything under that folder.
 * The translation runs on RE2 (linear time): with V8's backtracking RegExp, a glob such as
 * `*a*a*a*a*a*a*a*a*b` took minutes against one 60-character path.
 */
import { RE2JS } from 're2js';
import { WorkbenchError } from '../errors';

export interface PathPattern {
  test(path: string): boolean;
}

/** Python's fnmatch.translate, as an RE2 pattern over the whole path. */
export function fnmatchToRegExp(pattern: string): PathPattern {
  let re = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i++];
    if (c === '*') {
      while (pattern[i] === '*') i++;
      re += '.*';
    } else if (c === '?') {
      re += '.';
    } else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        re += '\\[';
      } else {
        // Backslashes and '[' are literal inside a glob's set; RE2 would read escapes and [:classes:].
        let body = pattern.slice(i, j).replace(/[\\[]/g, '\\$&');
        i = j + 1;
        if (body.startsWith('!')) body = '^' + body.slice(1);
        else if (body.startsWith('^')) body = '\\' + body;
        re += `[${body}]`;
      }
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  try {
    const compiled = RE2JS.compile(`^(?:${re})$`, RE2JS.DOTALL);
    return { test: (path) => compiled.test(path) };
  } catch (err) {
    throw new WorkbenchError('GLOB_INVALID', `The glob "${pattern}" is not valid: ${(err as Error).message.replace(/^error parsing regexp: /, '')}.`, 'Use *, ? and [...] sets as in huggingface_hub allow_patterns (e.g. *.safetensors, blocks.[0-3].*).');
  }
}

function compile(patterns: readonly string[] | undefined): PathPattern[] | undefined {
  if (!patterns) return undefined;
  return patterns.map((p) => fnmatchToRegExp(p.endsWith('/') ? `${p}*` : p));
}

/** A predicate over repo paths: kept if some include matches (or there are none) and no exclude does. */
export function pathFilter(include?: readonly string[], exclude?: readonly string[]): (path: string) => boolean {
  const allow = compile(include && include.length > 0 ? include : undefined);
  const ignore = compile(exclude);
  return (path) => (!allow || allow.some((r) => r.test(path))) && !(ignore && ignore.some((r) => r.test(path)));
}
