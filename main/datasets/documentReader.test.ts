import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/tempDirs';
import { asyncErrorOf as errorOf } from '../testing/workbenchErrors';
import { planDataset, readDocuments, type DatasetDocument, type SkippedRow } from './documentReader';

const tmp = makeTempDir('docs');
afterAll(() => tmp.cleanup());

function write(name: string, content: string): string {
  const file = path.join(tmp.dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

async function readAll(input: string, options: { textColumn?: string; startDocument?: number } = {}): Promise<{ docs: DatasetDocument[]; skipped: SkippedRow[]; column: string | null }> {
  const plan = await planDataset(input, options.textColumn);
  const docs: DatasetDocument[] = [];
  const skipped: SkippedRow[] = [];
  for await (const d of readDocuments(plan, { startDocument: options.startDocument, onSkip: (s) => skipped.push(s) })) docs.push(d);
  return { docs, skipped, column: plan.textColumn };
}

describe('dataset documents', () => {
  it('numbers the lines of a .txt from 0; blank lines are skipped but keep their number', async () => {
    const file = write('a.txt', 'first line\n\nthird line\r\nfourth');
    const { docs, skipped } = await readAll(file);
    expect(docs).toEqual([
      { document: 0, text: 'first line' },
      { document: 2, text: 'third line' },
      { document: 3, text: 'fourth' },
    ]);
    expect(skipped).toEqual([{ document: 1, file, reason: 'empty text' }]);
  });

  it('reads JSON Lines with broken rows skipped and counted, and detects the text column', async () => {
    const file = write('b.jsonl', ['{"id": 1, "text": "alpha"}', '{not json', '{"text": 7}', '', '{"text": "beta", "id": 2}', '{"other": "x"}'].join('\n') + '\n');
    const { docs, skipped, column } = await readAll(file);
    expect(column).toBe('text');
    expect(docs).toEqual([
      { document: 0, text: 'alpha' },
      { document: 4, text: 'beta' },
    ]);
    expect(skipped.map((s) => [s.document, s.reason.split(' (')[0]])).toEqual([
      [1, 'not JSON'],
      [2, '"text" is number, not text'],
      [3, 'blank line'],
      [5, 'no "text" field'],
    ]);
  });

  it('picks the only string field when no well-known name exists, and honours a named column', async () => {
    const file = write('c.jsonl', ['{"n": 1, "story": "one"}', '{"n": 2, "story": "two", "title": "T"}'].join('\n'));
    expect((await readAll(file)).column).toBe('story');
    expect((await readAll(file, { textColumn: 'title' })).docs).toEqual([{ document: 1, text: 'T' }]);
    const err = await errorOf(() => readAll(file, { textColumn: 'body' }));
    expect(err).toMatchObject({ code: 'DATASET_NO_TEXT_COLUMN' });
    expect(err.message).toContain('story');
  });

  it('reads a JSON array of strings or records', async () => {
    expect((await readAll(write('d.json', JSON.stringify(['x', '', 'z'])))).docs).toEqual([
      { document: 0, text: 'x' },
      { document: 2, text: 'z' },
    ]);
    expect((await readAll(write('e.json', JSON.stringify([{ text: 'p' }, { text: 'q' }])))).docs.map((d) => d.text)).toEqual(['p', 'q']);
  });

  it('reads parquet (several row batches, null rows skipped) and resumes from a document', async () => {
    const n = 5000;
    const texts = Array.from({ length: n }, (_, i) => (i % 1000 === 7 ? null : `doc ${i}`));
    const file = path.join(tmp.dir, 'f.parquet');
    parquetWriteFile({ filename: file, columnData: [{ name: 'id', data: Array.from({ length: n }, (_, i) => i), type: 'INT32' }, { name: 'text', data: texts, type: 'STRING' }], rowGroupSize: 1500 });
    const all = await readAll(file);
    expect(all.column).toBe('text');
    expect(all.docs).toHaveLength(n - 5);
    expect(all.docs[0]).toEqual({ document: 0, text: 'doc 0' });
    expect(all.docs.at(-1)).toEqual({ document: n - 1, text: `doc ${n - 1}` });
    expect(all.skipped.map((s) => s.document)).toEqual([7, 1007, 2007, 3007, 4007]);
    const resumed = await readAll(file, { startDocument: 4990 });
    expect(resumed.docs.map((d) => d.document)).toEqual(Array.from({ length: 10 }, (_, i) => 4990 + i));
    expect((await planDataset(file)).rows).toBe(n);
  });

  it('numbers on across the files of a folder, in path order, and resumes inside the second file', async () => {
    const dir = path.join(tmp.dir, 'shards');
    write('shards/data/train-00001.jsonl', '{"text": "c"}\n{"text": "d"}\n');
    write('shards/data/train-00000.jsonl', '{"text": "a"}\n{"text": "b"}\n');
    write('shards/dataset_info.json', '{"description": "not data"}');
    const { docs } = await readAll(dir);
    expect(docs).toEqual(['a', 'b', 'c', 'd'].map((text, document) => ({ document, text })));
    expect((await readAll(dir, { startDocument: 3 })).docs).toEqual([{ document: 3, text: 'd' }]);
    expect((await planDataset(dir)).rows).toBe(4);
  });

  it('refuses, before any job starts, datasets with no usable rows, with the reason', async () => {
    const empty = await errorOf(() => planDataset(write('empty.jsonl', '\n\n')));
    expect(empty).toMatchObject({ code: 'DATASET_NO_USABLE_ROWS' });
    expect(empty.message).toContain('blank line');
    const numbers = await errorOf(() => planDataset(write('nums.jsonl', '{"a": 1}\n{"a": 2}\n')));
    expect(numbers).toMatchObject({ code: 'DATASET_NO_TEXT' });
    expect(await errorOf(() => planDataset(path.join(tmp.dir, 'missing.jsonl')))).toMatchObject({ code: 'DATASET_NOT_FOUND' });
    expect(await errorOf(() => planDataset(write('obj.json', '{"rows": 3}')))).toMatchObject({ code: 'DATASET_INVALID' });
  });

  it('refuses a FIFO where a data file should be instead of hanging', async () => {
    const fifo = path.join(tmp.dir, 'pipe.jsonl');
    execFileSync('mkfifo', [fifo]);
    const err = await errorOf(() => planDataset(fifo));
    expect(err).toMatchObject({ code: 'NOT_A_FILE' });
    expect(err.message).toContain(fifo);
  });
});
