/**
 * Regexes a user typed, matched in time linear in the input: RE2 syntax on the pure-JS RE2 engine
 * (re2js), so no pattern can backtrack for hours on the thread that runs it (V8's RegExp takes
 * minutes on `^([\s\S]+)+!$` against 400 characters). What RE2 cannot do in linear time
 * (backreferences, lookahead, lookbehind) is refused by name.
 *
 * Written for people who know JavaScript regexes: `\uXXXX` and `\u{X...}` are accepted (as RE2's
 * `\x{...}`), `\s` / `\S` keep JavaScript's Unicode white space, `[]` and `[^]` keep their
 * JavaScript meaning (nothing / any character), and matching runs over code points as with the
 * `u` flag. Everything else is RE2's: `.` matches any character but `\n`, `\d` `\w` `\b` are
 * ASCII, `(?i)` `(?s)` `(?m)` set flags, `\pL` / `\p{Greek}` name Unicode classes.
 *
 * Cost is bounded at compile time: a pattern of at most MAX_PATTERN_CHARS characters whose
 * repetition counts add up to at most MAX_REPEAT_TOTAL compiles (in well under a second) to at
 * most MAX_PROGRAM_SIZE instructions, and a match then costs at most (input length x program
 * size) steps.
 */
import { RE2JS } from 're2js';

export const MAX_PATTERN_CHARS = 1000;
/** The sum of a pattern's `{n}` / `{n,m}` counts (RE2 itself allows 1,000 per repetition). */
export const MAX_REPEAT_TOTAL = 1000;
/** RE2 instructions: a match costs at most (input length x this) steps. */
export const MAX_PROGRAM_SIZE = 2000;

export const RE2_SYNTAX_NOTE = 'Regexes use RE2 syntax (linear-time matching: no backreferences, lookahead or lookbehind)';

export interface LinearRegex {
  /** The pattern as the user wrote it. */
  readonly source: string;
  /** RE2 instructions of the compiled program. */
  readonly size: number;
  /** Whether the pattern matches somewhere in `text` (RegExp.test without flags). */
  test(text: string): boolean;
}

/** A pattern this module will not compile; the message completes "the regex ... " for the user. */
export class RegexRefusal extends Error {}

/** JavaScript's `\s` (with or without the `u` flag), as code point ranges. */
const JS_SPACE: [number, number][] = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const MAX_CODE_POINT = 0x10ffff;

function complement(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let next = 0;
  for (const [a, b] of ranges) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

const hex = (cp: number) => `\\x{${cp.toString(16)}}`;
const classBody = (ranges: [number, number][]) => ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('');
const SPACE_BODY = classBody(JS_SPACE);
const NOT_SPACE_BODY = classBody(complement(JS_SPACE));
const ANY_CHAR = `[${hex(0)}-${hex(MAX_CODE_POINT)}]`;
const NO_CHAR = `[^${hex(0)}-${hex(MAX_CODE_POINT)}]`;

const LOOKAROUND: Record<string, string> = { '(?=': 'lookahead', '(?!': 'negative lookahead', '(?<=': 'lookbehind', '(?<!': 'negative lookbehind' };

/** `\uXXXX` (a surrogate pair of them counts as one code point) or `\u{X...}` at `at`: the code point and the length read. */
function unicodeEscape(p: string, at: number): { cp: number; length: number } | null {
  const braced = /^\\u\{([0-9a-fA-F]{1,6})\}/.exec(p.slice(at, at + 11));
  if (braced) return { cp: parseInt(braced[1], 16), length: braced[0].length };
  const four = /^\\u([0-9a-fA-F]{4})(?:\\u([dD][c-fC-F][0-9a-fA-F]{2}))?/.exec(p.slice(at, at + 12));
  if (!four) return null;
  const hi = parseInt(four[1], 16);
  if (four[2] !== undefined && hi >= 0xd800 && hi <= 0xdbff) return { cp: 0x10000 + ((hi - 0xd800) << 10) + (parseInt(four[2], 16) - 0xdc00), length: 12 };
  return { cp: hi, length: 6 };
}

/** The pattern in RE2's syntax, refusing what RE2 cannot match in linear time. */
export function toRe2Syntax(pattern: string): string {
  let out = '';
  let inClass = false;
  let repeats = 0;
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i];
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) {
        out += c;
        i++;
      } else if (e >= '1' && e <= '9') {
        throw new RegexRefusal(`uses the backreference \\${e}, which RE2 syntax does not have`);
      } else if (e === 'k' && pattern[i + 2] === '<') {
        throw new RegexRefusal('uses the named backreference \\k<...>, which RE2 syntax does not have');
      } else if (e === 'u' && unicodeEscape(pattern, i)) {
        const u = unicodeEscape(pattern, i)!;
        out += hex(u.cp);
        i += u.length;
      } else if (e === 's' || e === 'S') {
        const body = e === 's' ? SPACE_BODY : NOT_SPACE_BODY;
        out += inClass ? body : `[${body}]`;
        i += 2;
      } else if (e === 'c' && /^[A-Za-z]$/.test(pattern[i + 2] ?? '')) {
        out += hex(pattern.charCodeAt(i + 2) % 32);
        i += 3;
      } else if (e === 'Q') {
        // RE2's quoted literal runs to \E (or the end): copied as is, nothing inside is syntax.
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end < 0 ? pattern.length : end + 2;
        out += pattern.slice(i, stop);
        i = stop;
      } else if ((e === 'x' || e === 'p' || e === 'P') && pattern[i + 2] === '{') {
        // \x{1F600}, \p{Greek}: the braces belong to the escape, they are not a repetition count.
        const end = pattern.indexOf('}', i + 3);
        const stop = end < 0 ? pattern.length : end + 1;
        out += pattern.slice(i, stop);
        i = stop;
      } else {
        out += c + e;
        i += 2;
      }
    } else if (inClass) {
      const posix = c === '[' && pattern[i + 1] === ':' ? pattern.indexOf(':]', i + 2) : -1;
      if (posix >= 0) {
        out += pattern.slice(i, posix + 2);
        i = posix + 2;
      } else {
        if (c === ']') inClass = false;
        out += c;
        i++;
      }
    } else if (c === '[') {
      if (pattern.startsWith('[]', i)) {
        out += NO_CHAR;
        i += 2;
      } else if (pattern.startsWith('[^]', i)) {
        out += ANY_CHAR;
        i += 3;
      } else {
        inClass = true;
        out += c;
        i++;
      }
    } else if (c === '(' && pattern[i + 1] === '?') {
      const look = Object.keys(LOOKAROUND).find((k) => pattern.startsWith(k, i));
      if (look) throw new RegexRefusal(`uses ${LOOKAROUND[look]} ${look}...), which RE2 syntax does not have`);
      out += c;
      i++;
    } else if (c === '{') {
      const count = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i, i + 24));
      if (count) repeats += Math.max(Number(count[1]), Number(count[2] || 0));
      if (repeats > MAX_REPEAT_TOTAL) throw new RegexRefusal(`has repetition counts adding up to more than ${MAX_REPEAT_TOTAL.toLocaleString('en-US')}`);
      out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Compile a user's pattern, or throw a RegexRefusal saying what is wrong with it. */
export function compileLinearRegex(pattern: string): LinearRegex {
  if (pattern.length > MAX_PATTERN_CHARS) throw new RegexRefusal(`is ${pattern.length.toLocaleString('en-US')} characters long, over the limit of ${MAX_PATTERN_CHARS.toLocaleString('en-US')}`);
  const re2 = toRe2Syntax(pattern);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(re2);
  } catch (err) {
    // RE2's syntax errors ("missing closing )", "invalid repeat count", "expression too large",
    // "expression nests too deeply"), and anything else its compiler throws, are the pattern's fault.
    throw new RegexRefusal(`does not compile (${(err as Error).message.replace(/^error parsing regexp: /, '')})`);
  }
  const size = compiled.programSize();
  if (size > MAX_PROGRAM_SIZE) throw new RegexRefusal(`compiles to ${size.toLocaleString('en-US')} RE2 instructions, over the limit of ${MAX_PROGRAM_SIZE.toLocaleString('en-US')} (use smaller repetition counts)`);
  return { source: pattern, size, test: (text) => compiled.test(text) };
}
