import fs from 'node:fs';
import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { runCliCaptured as cli } from '../testing/cliRun';
import { indexFile } from '../index/indexDatabase';
import { sharedDemoBundle } from '../testing/sharedDemoBundle';
import { makeTempDir } from '../testing/tempDirs';

const tmp = makeTempDir('index-cli');
afterAll(() => tmp.cleanup());
let demo: DemoBundlePaths;
let home: string;
let built: { index_ids: string[]; tokens: number; documents: number; skipped_rows: number; tokens_per_s: number; db_bytes: number };

async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const buf = fs.readFileSync(file);
  return (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) })) as Record<string, unknown>[];
}

beforeAll(async () => {
  demo = sharedDemoBundle();
  home = path.join(tmp.dir, 'home');
  const r = await cli(['index', '--model', demo.models.adhd, '--sae', demo.saes.adhd, '--dataset', demo.dataset, '--max-documents', '30', '--device', 'cpu', '--home', home]);
  expect(r.code, r.err).toBe(0);
  const lines = r.out.trim().split('\n');
  built = JSON.parse(lines[lines.length - 1]);
});

describe('sae-workbench index / feature', () => {
  it('builds in the foreground and ends with the JSON line of the contract', () => {
    expect(Object.keys(built)).toEqual(['index_ids', 'tokens', 'documents', 'skipped_rows', 'tokens_per_s', 'db_bytes']);
    expect(built.index_ids).toHaveLength(1);
    expect(built.documents).toBe(30);
    expect(built.skipped_rows).toBe(0);
    expect(built.tokens).toBeGreaterThan(500);
    expect(built.tokens_per_s).toBeGreaterThan(0);
    expect(built.db_bytes).toBeGreaterThan(0);
  });

  it('lists and prints a feature as JSON, top examples sorted by activation', async () => {
    const list = await cli(['index', 'list', '--json', '--home', home]);
    expect(JSON.parse(list.out)).toEqual([expect.objectContaining({ id: built.index_ids[0], state: 'ready', stale: null, dSae: 256 })]);
    const r = await cli(['feature', '--index', built.index_ids[0], '--feature', '255', '--json', '--home', home]);
    expect(r.code, r.err).toBe(0);
    const f = JSON.parse(r.out);
    for (const key of ['fire_count', 'tokens', 'density', 'max', 'mean', 'top', 'intervals', 'histogram', 'logits', 'similar', 'correlated']) expect(f).toHaveProperty(key);
    expect(f.density).toBeCloseTo(f.fire_count / f.tokens, 12);
    const acts = f.top.map((e: { activation: number }) => e.activation);
    expect(acts).toEqual([...acts].sort((a: number, b: number) => b - a));
    expect(Object.keys(f.top[0])).toEqual(['document', 'position', 'activation', 'tokens', 'activations']);
    expect(f.logits.positive[0].text).toBe(' quickly');
    const text = await cli(['feature', '--index', built.index_ids[0], '--feature', '255', '--home', home]);
    expect(text.out).toContain('[[ Step]]');
  });

  it('exports Parquet files that read back with the same numbers', async () => {
    const out = path.join(tmp.dir, 'export');
    const r = await cli(['index', 'export', built.index_ids[0], '--format', 'parquet', '--out', out, '--home', home]);
    expect(r.code, r.err).toBe(0);
    const stats = await readParquet(path.join(out, 'feature_stats.parquet'));
    const acts = await readParquet(path.join(out, 'activations.parquet'));
    const tokens = await readParquet(path.join(out, 'tokens.parquet'));
    expect(stats).toHaveLength(256);
    const fired = stats.reduce((s, row) => s + Number(row.fire_count), 0);
    expect(acts).toHaveLength(fired);
    const planted = acts.filter((a) => a.feature === 255);
    expect(planted).toHaveLength(Number(stats[255].fire_count));
    expect(Math.max(...planted.map((a) => a.activation as number))).toBeCloseTo(stats[255].max as number, 6);
    // Every planted firing sits on a "Step" token of tokens.parquet.
    const tokenAt = new Map(tokens.map((t) => [`${t.document}:${t.position}`, String(t.token).trim()]));
    expect(new Set(planted.map((a) => tokenAt.get(`${a.document}:${a.position}`)))).toEqual(new Set(['Step']));
    expect(Number(stats[0].tokens)).toBe(built.tokens);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')).provenance.model.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('index export --out: an existing export is replaced only with --overwrite; the index\'s own folder, a file and /proc are refused without a stack trace', async () => {
    const id = built.index_ids[0];
    const out = path.join(tmp.dir, 'export-again');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'index.json'), 'a previous export');
    fs.writeFileSync(path.join(out, 'notes.md'), 'mine');
    const exp = (o: string, extra: string[] = []) => cli(['index', 'export', id, '--format', 'parquet', '--out', o, '--home', home, ...extra]);
    const refused = await exp(out);
    expect(refused.code, refused.err).toBe(1);
    expect(refused.err).toMatch(/^Error: --out: .*index\.json" exists; nothing was changed[\s\S]*Hint: .*--overwrite/);
    expect(fs.readdirSync(out).sort()).toEqual(['index.json', 'notes.md']);
    expect((await exp(out, ['--overwrite'])).code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['activations.parquet', 'feature_stats.parquet', 'index.json', 'notes.md', 'tokens.parquet']);
    expect(fs.readFileSync(path.join(out, 'notes.md'), 'utf8')).toBe('mine');
    // Onto the index's own database, inside it, onto a file, under /proc: clear refusals, fast.
    const started = Date.now();
    for (const [o, pattern] of [
      [indexFile(home, id), /--out .* is the index .* itself .*an input of this command/],
      [path.join(indexFile(home, id), 'x'), /lies inside the index|is a file, so nothing can be created inside it/],
      [path.join(out, 'notes.md'), /is a file; a folder is written there/],
      ['/proc/x', /special file system/],
    ] as const) {
      const r = await exp(o, ['--overwrite']);
      expect(r.err).not.toMatch(/Unexpected error/);
      expect(r.code, r.err).toBe(1);
      expect(r.err, o).toMatch(pattern);
    }
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('refuses a bad dataset before a job exists, and removes an index', async () => {
    const empty = path.join(tmp.dir, 'empty.txt');
    fs.writeFileSync(empty, '\n\n');
    const bad = await cli(['index', '--model', demo.models.adhd, '--sae', demo.saes.adhd, '--dataset', empty, '--home', home]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('none of the first 2 rows has text');
    const jobs = await cli(['jobs', 'list', '--json', '--home', home]);
    expect(JSON.parse(jobs.out)).toHaveLength(1);
    const unknown = await cli(['feature', '--index', 'ix-nope', '--feature', '1', '--home', home]);
    expect(unknown.err).toContain('There is no feature index');
    expect((await cli(['index', 'remove', built.index_ids[0], '--home', home])).code).toBe(0);
    expect(JSON.parse((await cli(['index', 'list', '--json', '--home', home])).out)).toEqual([]);
    expect(fs.readdirSync(path.join(home, 'index')).filter((f) => f.endsWith('.sqlite'))).toEqual([]);
  });
});
