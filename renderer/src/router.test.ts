import { describe, expect, it } from 'vitest';
import { parseHash, routeHref } from './router';

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
