import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connection';
import { randomSaeTensors, v6TopkCfg, writeSaeDir } from '../formats/testing/saeFixture';
import { makeTempDir } from '../testing/tempDirs';
import { clearSaeKeyMemory, knownSaeKey, saeContentKey } from './saeContentKey';

const tmp = makeTempDir('sae-key');
afterAll(() => tmp.cleanup());

describe('the label key of an SAE: sha256 of its weights, hashed once per file version', () => {
  it('is the weights file sha256, cached in the app database by file identity, new when the weights change', async () => {
    fs.mkdirSync(path.join(tmp.dir, 'home'));
    const db = openDatabase(path.join(tmp.dir, 'home'));
    const sae = writeSaeDir(path.join(tmp.dir, 'a', 'blocks.1.hook_resid_post'), v6TopkCfg(4, 6, 2), randomSaeTensors(4, 6, 1));
    const weights = path.join(sae, 'sae_weights.safetensors');
    const sha = createHash('sha256').update(fs.readFileSync(weights)).digest('hex');
    expect(knownSaeKey(sae, db)).toBeNull();
    expect(await saeContentKey(sae, db)).toBe(`sha256:${sha}`);
    // Known without reading the file again, also to a process that starts afresh (the database holds it).
    clearSaeKeyMemory();
    expect(knownSaeKey(sae, db)).toBe(`sha256:${sha}`);
    expect(db.prepare('SELECT count(*) AS n FROM sae_weight_digests').get()).toEqual({ n: 1 });
    // A copy elsewhere (cfg.json edited too) has the same key; changed weights have another.
    const copy = path.join(tmp.dir, 'b', 'sae');
    fs.cpSync(sae, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, 'cfg.json'), JSON.stringify({ ...v6TopkCfg(4, 6, 2), neuronpedia_id: 'x/y' }));
    expect(await saeContentKey(copy, db)).toBe(`sha256:${sha}`);
    writeSaeDir(copy, v6TopkCfg(4, 6, 2), randomSaeTensors(4, 6, 2));
    expect(knownSaeKey(copy, db)).toBeNull();
    expect(await saeContentKey(copy, db)).not.toBe(`sha256:${sha}`);
    db.close();
  });

  it('names what is missing, and refuses a FIFO in place of the weights', async () => {
    const empty = path.join(tmp.dir, 'empty');
    fs.mkdirSync(empty);
    await expect(saeContentKey(empty, null)).rejects.toMatchObject({ code: 'SAE_NOT_FOUND', message: expect.stringContaining('sae_weights.safetensors is missing') });
    const fifoDir = path.join(tmp.dir, 'fifo');
    fs.mkdirSync(fifoDir);
    (await import('node:child_process')).execFileSync('mkfifo', [path.join(fifoDir, 'sae_weights.safetensors')]);
    await expect(saeContentKey(fifoDir, null)).rejects.toMatchObject({ code: 'NOT_A_FILE' });
  });
});
