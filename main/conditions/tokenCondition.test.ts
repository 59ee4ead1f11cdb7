import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/workbenchErrors';
import { compileCondition, parseCondition, type ConditionDocument } from './tokenCondition';

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
});
