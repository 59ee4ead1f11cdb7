import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureDetail, FeatureIndexInfo } from '../../preload/api';
import { createCore } from '../api/core';
import { databasePath, openDatabase } from '../db/connection';
import { call } from '../testing/coreCalls';
import { runCliCaptured as cli } from '../testing/cliRun';
import { cliInChild, copyHome, offsetOf, overwriteBytes, replaceWithFifo, writeIndexedHome, type IndexedHome } from '../testing/abuse/sqliteAbuse';
import { sharedDemoBundle } from '../testing/sharedDemoBundle';
import { makeTempDir } from '../testing/tempDirs';
import { corpusFile } from './corpusStore';
import { IndexCatalog } from './indexCatalog';
import { indexFile } from './indexDatabase';
import { FeatureIndexReader } from './indexReader';

const tmp = makeTempDir('index-damage');
afterAll(() => tmp.cleanup());
let base: IndexedHome;
let cases = 0;
beforeAll(async () => {
  base = await writeIndexedHome(path.join(tmp.dir, 'base'), 60);
}, 120_000);

function fresh(): IndexedHome {
  return copyHome(base, path.join(tmp.dir, `case-${++cases}`));
}

/** A feature of index `id` with a top example, and that example. */
function featureWithExample(h: IndexedHome, id: string): { feature: number; page: FeatureDetail } {
  const db = openDatabase(h.home);
  // A reader of its own (not the catalog's cache, which the commands under test would reuse).
  const reader = new FeatureIndexReader(h.home, new IndexCatalog(h.home, db).registry.require(id));
  try {
    for (let f = 0; f < reader.dSae; f++) {
      const page = reader.feature(f);
      if (page.top.length > 0) return { feature: f, page };
    }
    throw new Error('no feature fired');
  } finally {
    reader.close();
    db.close();
  }
}

/** `length` bytes from the middle of a value stored in the file, flipped in place. */
function flipInFile(file: string, value: Buffer, length = 8): void {
  const middle = Math.max(0, Math.floor(value.length / 2) - 16);
  const needle = value.subarray(middle, middle + 32);
  const at = offsetOf(file, needle);
  expect(fs.readFileSync(file).lastIndexOf(needle)).toBe(at);
  overwriteBytes(file, at + 8, Uint8Array.from(needle.subarray(8, 8 + length), (b) => b ^ 0xff));
}

function rawRow<T>(file: string, sql: string, ...args: unknown[]): T {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).get(...args) as T;
  } finally {
    db.close();
  }
}

/** A CLI run refused with the damaged file named and the fix, never a stack trace. */
function expectDamageReported(r: { code: number | null; err: string }, file: string): void {
  expect(r.err).not.toContain('Unexpected error');
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.code, r.err).toBe(1);
  expect(r.err).toContain(file);
  expect(r.err).toContain('is damaged');
  expect(r.err).toMatch(/Hint: Remove/);
}

describe('a damaged index or token store', () => {
  it('a changed byte inside a sparse block is INDEX_CORRUPT naming the file in feature, index export and diff, never a different page', async () => {
    const h = fresh();
    const { feature, page } = featureWithExample(h, h.a);
    const file = indexFile(h.home, h.a);
    const ex = page.top[0];
    const block = rawRow<{ vals: Buffer }>(file, 'SELECT vals FROM blocks WHERE document = ? AND start <= ? ORDER BY start DESC LIMIT 1', ex.document, ex.position);
    flipInFile(file, block.vals);

    expectDamageReported(await cli(['feature', '--index', h.a, '--feature', String(feature), '--json', '--home', h.home]), file);
    expectDamageReported(await cli(['index', 'export', h.a, '--format', 'parquet', '--out', path.join(tmp.dir, `export-${cases}`), '--home', h.home]), file);
    expectDamageReported(await cli(['diff', '--a', h.a, '--b', h.b, '--condition', 'token-regex:^Step$', '--match', 'activation', '--json', '--home', h.home]), file);

    const core = createCore({ home: h.home, frontDoor: 'test' });
    try {
      const first = await core.call('index.feature', { id: h.a, feature });
      expect(first).toMatchObject({ ok: false, error: { code: 'INDEX_CORRUPT', message: expect.stringContaining(file), hint: expect.stringContaining(`index remove ${h.a}`) } });
      // A store that failed a read serves nothing more, not even what still reads.
      expect(await core.call('index.features', { id: h.a })).toMatchObject({ ok: false, error: { code: 'INDEX_CORRUPT' } });
      expect(await core.call('index.feature', { id: h.a, feature: (feature + 1) % 256 })).toMatchObject({ ok: false, error: { code: 'INDEX_CORRUPT' } });
      // The other index, on the same token store, is untouched.
      expect((await call<FeatureDetail>(core, 'index.feature', { id: h.b, feature: 3 })).feature).toBe(3);
    } finally {
      await core.close();
    }
  });

  it('a damaged page in the middle of an index file is found at open (quick_check): feature, ablate and the API say so', async () => {
    const h = fresh();
    const file = indexFile(h.home, h.a);
    const pages = fs.statSync(file).size / 4096;
    overwriteBytes(file, Math.floor(pages / 2) * 4096, new Uint8Array(4096));
    expectDamageReported(await cli(['feature', '--index', h.a, '--feature', '1', '--home', h.home]), file);
    const demo = sharedDemoBundle();
    const ablate = await cli(['ablate', '--model', demo.models.standard, '--sae', demo.saes.standard, '--features', '3', '--dataset', demo.dataset, '--max-documents', '8', '--seeds', '2', '--draws', '2', '--device', 'cpu', '--json', '--home', h.home]);
    expectDamageReported(ablate, file);
    const core = createCore({ home: h.home, frontDoor: 'test' });
    try {
      for (const [method, params] of [['index.features', { id: h.a }], ['index.search', { id: h.a, query: 'Step' }], ['index.feature', { id: h.a, feature: 0 }]] as const) {
        expect(await core.call(method, params)).toMatchObject({ ok: false, error: { code: 'INDEX_CORRUPT', message: expect.stringContaining(file) } });
      }
    } finally {
      await core.close();
    }
  });

  it("a changed byte in a document's tokens is INDEX_CORRUPT naming the token store, in feature pages and condition previews", async () => {
    const h = fresh();
    const { feature, page } = featureWithExample(h, h.b);
    const file = corpusFile(h.home, h.corpusId);
    flipInFile(file, rawRow<{ tokens: Buffer }>(file, 'SELECT tokens FROM documents WHERE document = ?', page.top[0].document).tokens, 4);
    const r = await cli(['feature', '--index', h.b, '--feature', String(feature), '--home', h.home]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain(`The token store ${file}`);
    expect(r.err).toMatch(/Hint: Remove the indexes built on this dataset/);
    const core = createCore({ home: h.home, frontDoor: 'test' });
    try {
      const preview = await core.call('compare.previewCondition', { indexId: h.a, spec: 'token-regex:^Step$', documents: 50 });
      expect(preview).toMatchObject({ ok: false, error: { code: 'INDEX_CORRUPT', message: expect.stringContaining(file) } });
    } finally {
      await core.close();
    }
  });

  it('still reads an index of format 1 (no checksums) page for page as the same index in format 2', () => {
    const h = fresh();
    const file = indexFile(h.home, h.a);
    const rec = new IndexCatalog(h.home, openDatabase(h.home)).registry.require(h.a);
    const v2 = new FeatureIndexReader(h.home, rec);
    const pages2 = Array.from({ length: 256 }, (_, f) => v2.feature(f));
    const listing2 = v2.listing();
    v2.close();
    const db = new Database(file);
    db.exec("ALTER TABLE blocks DROP COLUMN crc; DROP TABLE feature_digests; DROP TABLE token_digests; DROP TABLE checksums; DELETE FROM meta WHERE key = 'summary'; UPDATE meta SET value = '1' WHERE key = 'format_version'; VACUUM");
    db.close();
    const v1 = new FeatureIndexReader(h.home, rec);
    expect(v1.store.checked).toBe(false);
    expect(v1.listing()).toEqual(listing2);
    for (let f = 0; f < 256; f++) expect(v1.feature(f)).toEqual(pages2[f]);
    v1.close();
  });
});

describe('special files where SQLite files should be', () => {
  it('a FIFO in place of an index file, its -wal, the token store or the app database is NOT_A_FILE at once in every command', async () => {
    const demo = sharedDemoBundle();
    const ablate = (home: string) => ['ablate', '--model', demo.models.standard, '--sae', demo.saes.standard, '--features', '3', '--dataset', demo.dataset, '--max-documents', '8', '--seeds', '2', '--draws', '2', '--device', 'cpu', '--json', '--home', home];
    const runs: { what: string; fifo: string; args: string[] }[] = [];
    const index = fresh();
    replaceWithFifo(indexFile(index.home, index.a));
    runs.push(
      { what: 'feature', fifo: indexFile(index.home, index.a), args: ['feature', '--index', index.a, '--feature', '1', '--home', index.home] },
      { what: 'diff', fifo: indexFile(index.home, index.a), args: ['diff', '--a', index.a, '--b', index.b, '--condition', 'token-regex:^Step$', '--match', 'activation', '--home', index.home] },
      { what: 'index export', fifo: indexFile(index.home, index.a), args: ['index', 'export', index.a, '--format', 'parquet', '--out', path.join(tmp.dir, 'fifo-export'), '--home', index.home] },
      { what: 'ablate', fifo: indexFile(index.home, index.a), args: ablate(index.home) },
    );
    const wal = fresh();
    replaceWithFifo(`${indexFile(wal.home, wal.b)}-wal`);
    runs.push({ what: 'feature (-wal)', fifo: `${indexFile(wal.home, wal.b)}-wal`, args: ['feature', '--index', wal.b, '--feature', '1', '--home', wal.home] });
    const corpus = fresh();
    replaceWithFifo(corpusFile(corpus.home, corpus.corpusId));
    runs.push(
      { what: 'feature (token store)', fifo: corpusFile(corpus.home, corpus.corpusId), args: ['feature', '--index', corpus.a, '--feature', '1', '--home', corpus.home] },
      { what: 'diff (token store)', fifo: corpusFile(corpus.home, corpus.corpusId), args: ['diff', '--a', corpus.a, '--b', corpus.b, '--condition', 'token-regex:^Step$', '--match', 'activation', '--home', corpus.home] },
    );
    const app = fresh();
    replaceWithFifo(databasePath(app.home));
    runs.push(
      { what: 'index list (app database)', fifo: databasePath(app.home), args: ['index', 'list', '--home', app.home] },
      { what: 'ablate (app database)', fifo: databasePath(app.home), args: ablate(app.home) },
    );
    for (const run of runs) {
      const r = cliInChild(run.args, 60_000);
      expect(r.timedOut, `${run.what} hung`).toBe(false);
      expect(r.code, `${run.what}: ${r.err}`).toBe(1);
      expect(r.err, run.what).toContain(`Error: ${run.fifo} is a named pipe (FIFO), not a regular file.`);
    }
  }, 300_000);
});

describe('an app database emptied to 0 bytes', () => {
  it('is refused, naming what the data directory still holds; moved aside, the indexes are listed again from their files', async () => {
    const h = fresh();
    const clean = featureWithExample(h, h.a);
    fs.truncateSync(databasePath(h.home), 0);
    const r = await cli(['index', 'list', '--home', h.home]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`The database ${databasePath(h.home)} is empty (0 bytes, no tables) although the data directory holds 2 feature index file(s)`);
    expect(r.err).toMatch(/Hint: Quit SAE Workbench, move workbench.sqlite aside .* registered again from their files/);
    expect(() => createCore({ home: h.home, frontDoor: 'test' })).toThrowError(expect.objectContaining({ code: 'DB_CORRUPT' }));
    // Still empty: the refusal wrote nothing into it.
    expect(fs.statSync(databasePath(h.home)).size).toBe(0);

    fs.renameSync(databasePath(h.home), `${databasePath(h.home)}.damaged`);
    const core = createCore({ home: h.home, frontDoor: 'test' });
    try {
      const listed = await call<FeatureIndexInfo[]>(core, 'index.list', {});
      expect(listed.map((i) => [i.id, i.state, i.dSae]).sort()).toEqual([[h.a, 'ready', 256], [h.b, 'ready', 256]].sort());
      expect(listed.every((i) => (i.summary?.tokens ?? 0) > 0)).toBe(true);
      const page = await call<FeatureDetail>(core, 'index.feature', { id: h.a, feature: clean.feature });
      expect(page).toEqual(clean.page);
    } finally {
      await core.close();
    }
  });

  it('`index recover` registers the index files of a home whose database lost them', async () => {
    const h = fresh();
    fs.rmSync(databasePath(h.home));
    const r = await cli(['index', 'recover', '--json', '--home', h.home]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ registered: [h.a, h.b].sort(), skipped: [] });
    const list = JSON.parse((await cli(['index', 'list', '--json', '--home', h.home])).out) as FeatureIndexInfo[];
    expect(list.map((i) => i.id).sort()).toEqual([h.a, h.b].sort());
  });
});
