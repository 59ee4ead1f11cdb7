import { describe, expect, it } from 'vitest';
import { endpointSavePatch, isPlainHttp, tokenDeliveryNote } from './endpointToken';

describe('the endpoint form and the token confirmation', () => {
  it('confirms only an http endpoint, by its exact URL, and only when ticked', () => {
    expect(endpointSavePatch(' http://127.0.0.1:8080 ', true)).toEqual({ endpoint: 'http://127.0.0.1:8080', tokenEndpointConfirmed: 'http://127.0.0.1:8080' });
    expect(endpointSavePatch('http://127.0.0.1:8080', false)).toEqual({ endpoint: 'http://127.0.0.1:8080', tokenEndpointConfirmed: null });
    expect(endpointSavePatch('https://hf-mirror.example', true)).toEqual({ endpoint: 'https://hf-mirror.example', tokenEndpointConfirmed: null });
    expect(isPlainHttp('HTTP://x')).toBe(true);
    expect(isPlainHttp('https://x')).toBe(false);
  });

  it('says whether the token goes to the endpoint', () => {
    expect(tokenDeliveryNote({ tokenDelivery: 'withheld', tokenSource: 'stored' })).toMatch(/not sent/);
    expect(tokenDeliveryNote({ tokenDelivery: 'confirmed', tokenSource: 'stored' })).toMatch(/unencrypted/);
    expect(tokenDeliveryNote({ tokenDelivery: 'https', tokenSource: null })).toMatch(/encrypted/);
  });
});
