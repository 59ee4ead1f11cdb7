import fs from 'node:fs';
import path from 'node:path';
import { safeStorage } from 'electron';
import { FileSecretStore, type SecretStore } from '../hub/token';

/**
 * Secrets encrypted with the OS keychain (Electron safeStorage) in <home>/secrets/<name>.enc.
 * Where the OS offers no keychain (e.g. Linux without a keyring) it falls back to the 0600 file
 * store, as browser mode does.
 */
export class SafeStorageSecretStore implements SecretStore {
  private readonly fallback: FileSecretStore;

  constructor(private readonly dir: string) {
    this.fallback = new FileSecretStore(dir);
  }

  private encryptedFile(name: string): string {
    return path.join(this.dir, `${name}.enc`);
  }

  read(name: string): string | null {
    if (!safeStorage.isEncryptionAvailable()) return this.fallback.read(name);
    try {
      return safeStorage.decryptString(fs.readFileSync(this.encryptedFile(name)));
    } catch {
      // Not stored encrypted (yet): a token saved before the keychain was available.
      return this.fallback.read(name);
    }
  }

  write(name: string, value: string | null): void {
    if (!safeStorage.isEncryptionAvailable()) return this.fallback.write(name, value);
    const file = this.encryptedFile(name);
    this.fallback.write(name, null);
    if (value === null) {
      fs.rmSync(file, { force: true });
      return;
    }
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, safeStorage.encryptString(value), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
}
