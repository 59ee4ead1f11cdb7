import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';

/**
 * Where secrets live. Node mode: a 0600 file under the data directory (never the DB, never logs).
 * The Electron shell can plug in a safeStorage-backed store with useSecretStore().
 */
export interface SecretStore {
  read(name: string): string | null;
  write(name: string, value: string | null): void;
}

export class FileSecretStore implements SecretStore {
  constructor(private readonly dir: string) {}

  private file(name: string): string {
    if (!/^[a-z0-9_]+$/.test(name)) throw new WorkbenchError('BAD_SECRET_NAME', `"${name}" is not a valid secret name.`);
    return path.join(this.dir, name);
  }

  read(name: string): string | null {
    try {
      return fs.readFileSync(this.file(name), 'utf8').trim() || null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new WorkbenchError('SECRET_UNREADABLE', `The secret file ${this.file(name)} cannot be read (${(err as NodeJS.ErrnoException).code}).`, 'Fix its permissions or set the token again in Settings.');
    }
  }

  write(name: string, value: string | null): void {
    const file = this.file(name);
    if (value === null) {
      fs.rmSync(file, { force: true });
      return;
    }
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    // mode applies at creation; chmod again in case an old file with looser bits is replaced.
    fs.writeFileSync(tmp, value, { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  }
}

const TOKEN_SECRET = 'hf_token';
let storeFor: (home: string) => SecretStore = (home) => new FileSecretStore(path.join(home, 'secrets'));

/** Replace how secrets are kept (e.g. Electron safeStorage); workers must get the same store. */
export function useSecretStore(factory: (home: string) => SecretStore): void {
  storeFor = factory;
}

export interface HubToken {
  token: string | null;
  source: 'env' | 'stored' | null;
}

/** HF_TOKEN (as in Python) wins over the token saved in Settings. */
export function readHubToken(home: string, env: Record<string, string | undefined> = process.env): HubToken {
  const fromEnv = env.HF_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, source: 'env' };
  const stored = storeFor(home).read(TOKEN_SECRET);
  return stored ? { token: stored, source: 'stored' } : { token: null, source: null };
}

export function storeHubToken(home: string, token: string | null): void {
  if (token !== null && /\s/.test(token)) throw new WorkbenchError('HUB_BAD_TOKEN', 'The access token contains whitespace.', 'Paste the token exactly as shown on huggingface.co/settings/tokens.');
  storeFor(home).write(TOKEN_SECRET, token);
}
