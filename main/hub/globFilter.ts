/**
 * huggingface_hub's allow_patterns / ignore_patterns: Python fnmatch (POSIX: case-sensitive,
 * "*" and "?" also match "/"), and a pattern ending with "/" means everything under that folder.
 */

/** Python's fnmatch.translate, as a RegExp over the whole path. */
export function fnmatchToRegExp(pattern: string): RegExp {
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
        let body = pattern.slice(i, j);
        i = j + 1;
        if (body.startsWith('!')) body = '^' + body.slice(1);
        else if (body.startsWith('^')) body = '\\' + body;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
      }
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^(?:${re})$`, 's');
}

function compile(patterns: readonly string[] | undefined): RegExp[] | undefined {
  if (!patterns) return undefined;
  return patterns.map((p) => fnmatchToRegExp(p.endsWith('/') ? `${p}*` : p));
}

/** A predicate over repo paths: kept if some include matches (or there are none) and no exclude does. */
export function pathFilter(include?: readonly string[], exclude?: readonly string[]): (path: string) => boolean {
  const allow = compile(include && include.length > 0 ? include : undefined);
  const ignore = compile(exclude);
  return (path) => (!allow || allow.some((r) => r.test(path))) && !(ignore && ignore.some((r) => r.test(path)));
}
