import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/seededRandom';
import { compileLinearRegex, MAX_PATTERN_CHARS, RegexRefusal, toRe2Syntax } from './linearRegex';

const refusal = (pattern: string): string => {
  try {
    compileLinearRegex(pattern);
  } catch (err) {
    expect(err).toBeInstanceOf(RegexRefusal);
    return (err as Error).message;
  }
  throw new Error(`${pattern} compiled`);
};

describe('linear-time regexes (RE2 syntax)', () => {
  it('matches the catastrophic-backtracking patterns in time linear in the input', () => {
    const t0 = performance.now();
    const nested = compileLinearRegex('^([\\s\\S]+)+!$');
    // V8's RegExp needs about 2^n steps here: hours for n = 40, forever for 400.
    expect(nested.test('a'.repeat(400))).toBe(false);
    expect(nested.test(`${'a'.repeat(400)}!`)).toBe(true);
    expect(compileLinearRegex('(a|aa)+$').test(`${'a'.repeat(5000)}b`)).toBe(false);
    expect(compileLinearRegex('(\\w+\\s?)+$').test(`${'word '.repeat(2000)}!`)).toBe(false);
    expect(compileLinearRegex('(x+x+)+y').test('x'.repeat(5000))).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('refuses backreferences and lookaround by name, saying RE2 has none', () => {
    expect(refusal('(a)\\1')).toBe('uses the backreference \\1, which RE2 syntax does not have');
    expect(refusal('(?<x>a)\\k<x>')).toMatch(/named backreference/);
    expect(refusal('Step(?= \\d)')).toBe('uses lookahead (?=...), which RE2 syntax does not have');
    expect(refusal('a(?!b)')).toMatch(/^uses negative lookahead/);
    expect(refusal('(?<=\\n)Step')).toMatch(/^uses lookbehind/);
    expect(refusal('(?<!x)y')).toMatch(/^uses negative lookbehind/);
    // Inside a class these are plain characters, and a named group is fine.
    expect(compileLinearRegex('[(?=]').test('=')).toBe(true);
    expect(compileLinearRegex('(?<word>\\w+)').test('hi')).toBe(true);
  });

  it('bounds the cost: pattern length, repetition counts and program size', () => {
    expect(refusal('a'.repeat(MAX_PATTERN_CHARS + 1))).toMatch(/^is 1,001 characters long, over the limit of 1,000/);
    compileLinearRegex('a'.repeat(MAX_PATTERN_CHARS));
    expect(refusal('a{1001}')).toBe('has repetition counts adding up to more than 1,000');
    expect(refusal('(?:a{600})(?:b{600})')).toBe('has repetition counts adding up to more than 1,000');
    expect(refusal('(?:(?:a?){30}){30}(?:b?){30}(?:(?:c?){20}){20}$')).toMatch(/^compiles to 2,\d{3} RE2 instructions, over the limit of 2,000/);
    // A nested repetition beyond RE2's own limit is its syntax error.
    expect(refusal('((a{100}){100}){100}')).toMatch(/^does not compile/);
    // Braces of escapes are not repetition counts.
    expect(compileLinearRegex('\\x{1F600}\\p{Greek}'.repeat(50)).size).toBeLessThan(200);
  });

  it('reports RE2 syntax errors as refusals', () => {
    expect(refusal('(')).toMatch(/^does not compile \(missing closing \)/);
    expect(refusal('a**')).toMatch(/^does not compile \(invalid nested repetition operator/);
    expect(refusal('[z-a]')).toMatch(/^does not compile/);
    // As deep as a pattern within the length limit can nest: no stack overflow.
    expect(compileLinearRegex('('.repeat(500) + ')'.repeat(500)).test('')).toBe(true);
    // RE2's own limit on nested repetitions (their product) is a syntax error too.
    expect(refusal('(?:x{0,50}){0,50}')).toMatch(/^does not compile \(invalid repeat count/);
  });

  it('keeps what JavaScript users write: \\uXXXX, \\u{...}, \\s, \\S, [] and [^], over code points', () => {
    expect(compileLinearRegex('^caf\\u00e9$').test('café')).toBe(true);
    expect(compileLinearRegex('^\\u{1F600}$').test('😀')).toBe(true);
    expect(compileLinearRegex('^\\uD83D\\uDE00$').test('😀')).toBe(true);
    expect(compileLinearRegex('^.$').test('😀')).toBe(true);
    expect(compileLinearRegex('^\\s$').test('\u00a0')).toBe(true);
    expect(compileLinearRegex('^[\\s]$').test('\u3000')).toBe(true);
    expect(compileLinearRegex('^\\S+$').test('a\u00a0b')).toBe(false);
    expect(compileLinearRegex('^[^\\S]$').test('\u2028')).toBe(true);
    expect(compileLinearRegex('^[^]$').test('\n')).toBe(true);
    expect(compileLinearRegex('[]').test('anything')).toBe(false);
    expect(compileLinearRegex('^\\cJ$').test('\n')).toBe(true);
    // RE2's own syntax works too: flags, Unicode classes, quoted literals, POSIX classes.
    expect(compileLinearRegex('(?i)^step$').test('STEP')).toBe(true);
    expect(compileLinearRegex('^\\pL+$').test('Schritt')).toBe(true);
    expect(compileLinearRegex('^\\Q\\s+\\E$').test('\\s+')).toBe(true);
    expect(compileLinearRegex('^[[:digit:]\\s]+$').test('1 2')).toBe(true);
    expect(toRe2Syntax('\\d\\w\\b')).toBe('\\d\\w\\b');
  });

  it('agrees with JavaScript RegExp (u flag) on the syntax both share, over random inputs', () => {
    const patterns = ['^Step$', '\\nStep \\d+:$', 'Step \\d+:$', '(^|\\n)$', '^\\s*\\d+\\.', '[A-Z][a-z]+\\s$', '\\bthe\\b', '^(?:a|b)*c?$', '\\S+\\s+\\S+$', '[^\\s\\d]{3,}', 'x{2,4}y', '^[\\u00e0-\\u00ff]+$', '\\W$', '(?:\\w+\\s?)+!$'];
    const alphabet = ['a', 'b', 'c', 'x', 'y', 'S', 't', 'e', 'p', 'Step', ' ', '\n', '\t', '\u00a0', '\u3000', '1', '7', ':', '.', '!', 'é', 'the', '😀', '\u2028'];
    const rng = new SeededRandom(3);
    const inputs = Array.from({ length: 400 }, () => Array.from({ length: rng.int(30) }, () => rng.pick(alphabet)).join(''));
    for (const p of patterns) {
      const ours = compileLinearRegex(p);
      const native = new RegExp(p, 'u');
      for (const s of inputs) expect(ours.test(s), `${p} on ${JSON.stringify(s)}`).toBe(native.test(s));
    }
  });

  it('\\s is exactly JavaScript\'s white space over the whole BMP', () => {
    const ours = compileLinearRegex('^\\s$');
    const not = compileLinearRegex('^\\S$');
    for (let c = 0; c <= 0xffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCharCode(c);
      const js = /^\s$/u.test(ch);
      if (ours.test(ch) !== js || not.test(ch) === js) throw new Error(`\\s differs at U+${c.toString(16)}`);
    }
  });
});
