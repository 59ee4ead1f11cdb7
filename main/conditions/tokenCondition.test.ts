import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/workbenchErrors';
import { compileCondition, ConditionBudget, CONTEXT_CHARS, parseCondition, type ConditionDocument } from './tokenCondition';

// "<bos> How to cook. Step 1: Rinse.\nStep 2: Boil" as display strings (leading spaces kept).
const texts = ['<|endoftext|>', 'How', ' to', ' cook', '.', ' Step', ' 1', ':', ' Rinse', '.', '\n', 'Step', ' 2', ':', ' Boil'];
const doc: ConditionDocument = { ids: texts.map((_, i) => 100 + i), texts, bos: true };
const positions = (spec: string, named?: (n: string) => string | null) => [...compileCondition(spec, named).mask(doc)].flatMap((v, p) => (v ? [p] : []));

describe('token conditions', () => {
  it('token-regex tests the trimmed token text; BOS never matches', () => {
    expect(positions('token-regex:^Step$')).toEqual([5, 11]);
    expect(positions('token-regex:.*')).toEqual(Array.from({ length: texts.length - 1 }, (_, i) => i + 1));
  });

  it('context-regex tests the text before the token (BOS excluded), anchored at the token', () => {
    // The token right after "Step N:" (the first word of a step).
    expect(positions('context-regex:Step \\d+:$')).toEqual([8, 14]);
    // First token of a line: after a newline, or the document's first token.
    expect(positions('context-regex:(^|\\n)$')).toEqual([1, 11]);
    expect(positions('context-regex:(^|\\n)$ && token-regex:^Step$')).toEqual([11]);
  });

  it('ids and position rules', () => {
    expect(positions('ids:105,111,999')).toEqual([5, 11]);
    expect(positions('position:first')).toEqual([1]);
    expect(positions('position:<3')).toEqual([1, 2]);
    expect(positions('position:>=13')).toEqual([13, 14]);
    expect(positions('position:4-6')).toEqual([4, 5, 6]);
    expect(positions('position:0')).toEqual([]);
  });

  it('named conditions expand to their spec, which is what an export records', () => {
    const saved = (n: string) => (n === 'step-onset' ? 'token-regex:^Step$' : null);
    const c = compileCondition('named:step-onset && position:>6', saved);
    expect(c.spec).toBe('token-regex:^Step$ && position:>6');
    expect(positions('named:step-onset', saved)).toEqual([5, 11]);
    expect(errorOf(() => compileCondition('named:nope', saved))).toMatchObject({ code: 'CONDITION_UNKNOWN' });
  });

  it('refuses malformed specs with the reason', () => {
    expect(errorOf(() => parseCondition('token-regex:(')).message).toContain('does not compile');
    expect(errorOf(() => parseCondition('word:Step')).message).toContain('"word" is not a kind');
    expect(errorOf(() => parseCondition('ids:1,x')).code).toBe('CONDITION_INVALID');
    expect(errorOf(() => parseCondition('ids:5,')).code).toBe('CONDITION_INVALID');
    expect(errorOf(() => parseCondition('ids:5,,9')).code).toBe('CONDITION_INVALID');
    expect(errorOf(() => parseCondition('position:9-2')).message).toContain('empty');
    expect(errorOf(() => parseCondition('token-regex:')).message).toContain('needs a value');
  });

  it('evaluates a catastrophic-backtracking regex in bounded time (issue 16: it hung the core)', () => {
    // 120 tokens, so the context before the last ones is the full CONTEXT_CHARS window.
    const words = Array.from({ length: 120 }, (_, i) => (i % 10 === 9 ? ' again!' : ` word${i}`));
    const long: ConditionDocument = { ids: words.map((_, i) => i), texts: ['<bos>', ...words], bos: true };
    long.ids = long.texts.map((_, i) => i);
    expect(long.texts.join('').length).toBeGreaterThan(CONTEXT_CHARS * 2);
    const t0 = performance.now();
    const mask = compileCondition('context-regex:^([\\s\\S]+)+!$').mask(long);
    // Holds right after each "again!" (the whole context ends with "!").
    expect([...mask].flatMap((v, p) => (v ? [p] : []))).toEqual([11, 21, 31, 41, 51, 61, 71, 81, 91, 101, 111]);
    expect(compileCondition('token-regex:^(a|aa)+$ && context-regex:(\\w+\\s?)+$').mask(long).some((v) => v === 1)).toBe(false);
    // The same regex carried by a saved condition.
    const saved = (n: string) => (n === 'bang' ? 'context-regex:^([\\s\\S]+)+!$' : null);
    expect(compileCondition('named:bang', saved).mask(long)).toEqual(mask);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('refuses what RE2 cannot match in linear time, naming the construct and the syntax', () => {
    const back = errorOf(() => parseCondition('context-regex:(Step) \\d+: \\1'));
    expect(back.code).toBe('CONDITION_INVALID');
    expect(back.message).toBe('The token condition "context-regex:(Step) \\d+: \\1" is not valid: the regex "(Step) \\d+: \\1" uses the backreference \\1, which RE2 syntax does not have.');
    expect(back.hint).toMatch(/^Regexes use RE2 syntax \(linear-time matching: no backreferences, lookahead or lookbehind\)/);
    expect(errorOf(() => parseCondition('token-regex:^Step(?=:)')).message).toContain('uses lookahead (?=...)');
    expect(errorOf(() => compileCondition('named:peek', () => 'context-regex:(?<=\\n)$')).message).toContain('uses lookbehind (?<=...)');
    expect(errorOf(() => parseCondition(`token-regex:${'x'.repeat(1001)}`)).message).toContain('is 1,001 characters long');
  });

  it('a budget stops an evaluation that runs too long for its caller', () => {
    const words = Array.from({ length: 200 }, (_, i) => ` w${i}`);
    const long: ConditionDocument = { ids: words.map((_, i) => i), texts: words, bos: false };
    const c = compileCondition('context-regex:(?:\\w+\\s?)+\\d$');
    expect(c.mask(long, new ConditionBudget(60_000, 'to preview')).length).toBe(200);
    const err = errorOf(() => c.mask(long, new ConditionBudget(0, 'to preview on 8 documents')));
    expect(err.code).toBe('CONDITION_TOO_COSTLY');
    expect(err.message).toBe('The token condition "context-regex:(?:\\w+\\s?)+\\d$" took more than 0 ms to preview on 8 documents, the most this may take.');
  });
});
