import { describe, expect, it } from 'vitest';
import { paramsToRestore, parseHash, rememberParams, routeHref } from './router';

describe('hash routes', () => {
  it('round-trips a page and its parameters, leaving out empty values', () => {
    const href = routeHref('features', { index: 'ix-1', feature: 255, search: '', missing: undefined, q: 'a b&c' });
    expect(href).toBe('#/features?index=ix-1&feature=255&q=a+b%26c');
    const route = parseHash(href);
    expect(route.page).toBe('features');
    expect(Object.fromEntries(route.params)).toEqual({ index: 'ix-1', feature: '255', q: 'a b&c' });
  });

  it("keeps a value the user emptied when asked ('' is not 'absent'), never null or undefined", () => {
    const href = routeHref('prompt', { text: '', a: null, b: undefined, as: 'x' }, { keepEmpty: true });
    expect(href).toBe('#/prompt?text=&as=x');
    expect(parseHash(href).params.get('text')).toBe('');
    expect(parseHash(href).params.get('a')).toBeNull();
  });

  it('reads bare and legacy hashes', () => {
    expect(parseHash('').page).toBe('');
    expect(parseHash('#/queue').page).toBe('queue');
    expect(parseHash('#queue/extra').page).toBe('queue');
  });
});

describe('remembered page parameters', () => {
  const memory = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
  };

  it('gives a bare page back its last parameters, per page', () => {
    const mem = memory();
    expect(paramsToRestore(mem, 'compare', new URLSearchParams())).toBeNull();
    rememberParams(mem, 'compare', new URLSearchParams('a=ix-1&b=ix-2&diff=20260101-abcd1234&tab=diff'));
    rememberParams(mem, 'features', new URLSearchParams('index=ix-2&feature=255'));
    expect(Object.fromEntries(paramsToRestore(mem, 'compare', new URLSearchParams())!)).toEqual({ a: 'ix-1', b: 'ix-2', diff: '20260101-abcd1234', tab: 'diff' });
    expect(paramsToRestore(mem, 'features', new URLSearchParams())!.get('feature')).toBe('255');
  });

  it('leaves a link that names parameters as it is', () => {
    const mem = memory();
    rememberParams(mem, 'compare', new URLSearchParams('a=ix-1&b=ix-2&diff=20260101-abcd1234'));
    expect(paramsToRestore(mem, 'compare', new URLSearchParams('a=ix-3'))).toBeNull();
  });
});
