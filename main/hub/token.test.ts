import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readHubToken, storeHubToken } from './token';

const dirs: string[] = [];
const tempHome = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-token-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('hub token', () => {
  it('stores the token in a 0600 file under the home, and HF_TOKEN wins', () => {
    const home = tempHome();
    expect(readHubToken(home, {})).toEqual({ token: null, source: null });
    storeHubToken(home, 'hf_secret123');
    const file = path.join(home, 'secrets', 'hf_token');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(readHubToken(home, {})).toEqual({ token: 'hf_secret123', source: 'stored' });
    expect(readHubToken(home, { HF_TOKEN: 'hf_env' })).toEqual({ token: 'hf_env', source: 'env' });
    storeHubToken(home, null);
    expect(fs.existsSync(file)).toBe(false);
    expect(readHubToken(home, {}).source).toBeNull();
  });
  it('rejects a token with whitespace', () => {
    expect(() => storeHubToken(tempHome(), 'hf_a b')).toThrow(/whitespace/);
  });
});
