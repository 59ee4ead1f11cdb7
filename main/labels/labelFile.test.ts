import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { LABEL_IMPORT_LISTED_SKIPS } from '../../preload/api';
import { makeTempDir } from '../testing/tempDirs';
import { csvRecords, readLabelFile } from './labelFile';

const tmp = makeTempDir('label-file');
afterAll(() => tmp.cleanup());

function write(name: string, content: string | Buffer): string {
  const file = path.join(tmp.dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const read = (file: string, dSae = 256, neuronpediaId: string | null = null) => readLabelFile(file, { dSae, neuronpediaId });

/** A Neuronpedia explanation as its export API and its datasets' JSONL write them. */
function explanation(index: string | number, description: string, layer = '2-res-demo') {
  return { id: `clx${index}`, modelId: 'demo-adhd', layer, index, description, authorId: 'a1', typeName: 'oai_token-act-pair', explanationModelName: 'gpt-4o-mini' };
}

describe('label files', () => {
  it('reads a CSV with a header, quoted commas, quotes and newlines, and names each skipped row and why', () => {
    const file = write('labels.csv', ['feature,label,note', '255,step onset,"fires on ""Step"", the planted one\nsecond line"', '3,"token ""the"", lowercase",', 'abc,oops,', '300,too far,', '12,,', '7', '3,again,', ''].join('\r\n'));
    const r = read(file);
    expect(r.format).toBe('csv');
    expect(r.rows).toEqual([
      { row: 2, feature: 255, label: 'step onset', note: 'fires on "Step", the planted one\nsecond line' },
      { row: 4, feature: 3, label: 'token "the", lowercase' },
    ]);
    expect(r.skipped).toEqual([
      { row: 5, id: 'abc', reason: 'feature id "abc" is not a whole number >= 0' },
      { row: 6, id: '300', reason: 'feature 300 is out of range: this SAE has d_sae 256 (ids 0-255)' },
      { row: 7, id: '12', reason: 'no label text' },
      { row: 8, id: '7', reason: 'has 1 column; expected at least 2 (id, label)' },
      { row: 9, id: '3', reason: 'feature 3 was already labelled by row 4 (the first row for a feature is used)' },
    ]);
    expect(r.skippedCount).toBe(5);
  });

  it('reads a CSV without a header as id, label[, note], and a TSV by its extension', () => {
    expect(read(write('plain.csv', '0,first\n1,second,with a note\n')).rows).toEqual([
      { row: 1, feature: 0, label: 'first' },
      { row: 2, feature: 1, label: 'second', note: 'with a note' },
    ]);
    expect(read(write('plain.tsv', 'index\tdescription\n5\tfive, with a comma\n')).rows).toEqual([{ row: 2, feature: 5, label: 'five, with a comma' }]);
  });

  it('refuses a CSV whose header has no label column, and an unclosed quote, naming the line', () => {
    expect(() => read(write('nolabel.csv', 'feature,score\n1,0.5\n'))).toThrow(/header \("feature", "score"\) has no label column/);
    expect(() => read(write('open.csv', 'feature,label\n1,ok\n2,"never closed\n3,x\n'))).toThrow(/line 3: a quoted field is never closed/);
  });

  it('reads JSON as an array of labels (item i is feature i), an id -> label object, and records', () => {
    const arr = read(write('array.json', JSON.stringify(['zero', '', null, 'three'])), 4);
    expect(arr.format).toBe('json array');
    expect(arr.rows.map((r) => [r.feature, r.label])).toEqual([
      [0, 'zero'],
      [3, 'three'],
    ]);
    expect(arr.skipped.map((s) => [s.row, s.reason])).toEqual([
      [2, 'no label text'],
      [3, 'no label (null)'],
    ]);

    const obj = read(write('object.json', JSON.stringify({ '255': 'step onset', '#3': { label: 'the', note: 'common' }, '999': 'x', '4': ['no'] })));
    expect(obj.format).toBe('json object');
    // Integer-like keys come first, in ascending order (JavaScript's own key order), then the rest.
    expect(obj.rows).toEqual([
      { row: 2, feature: 255, label: 'step onset' },
      { row: 4, feature: 3, label: 'the', note: 'common' },
    ]);
    expect(obj.skipped.map((s) => [s.row, s.id, s.reason])).toEqual([
      [1, '4', 'the label is an array, not text'],
      [3, '999', 'feature 999 is out of range: this SAE has d_sae 256 (ids 0-255)'],
    ]);

    const records = read(write('records.json', JSON.stringify({ labels: [{ feature: 1, label: 'one', note: 'n' }, { id: '2', explanation: 'two' }, { label: 'no id' }, { feature: -1, label: 'neg' }, 'text'] })));
    expect(records.rows).toEqual([
      { row: 1, feature: 1, label: 'one', note: 'n' },
      { row: 2, feature: 2, label: 'two' },
    ]);
    expect(records.skipped.map((s) => [s.row, s.reason])).toEqual([
      [3, 'no feature id (one of feature, index, feature_index, feature_id, ...)'],
      [4, 'feature id -1 is not a whole number >= 0'],
      [5, 'the item is "text": a record needs an id and a label'],
    ]);
  });

  it('reads a Neuronpedia explanations export (JSON array): index as a string, description as the label, the explainer as the source', () => {
    const file = write('np.json', JSON.stringify([explanation('255', 'references to the start of a step'), explanation(3, 'the word "the"'), explanation('255', 'a second explanation'), explanation('7', 'other layer', '3-res-demo')]));
    const r = read(file);
    expect(r.format).toBe('neuronpedia');
    expect(r.rows).toEqual([
      { row: 1, feature: 255, label: 'references to the start of a step', source: 'neuronpedia gpt-4o-mini (oai_token-act-pair)' },
      { row: 2, feature: 3, label: 'the word "the"', source: 'neuronpedia gpt-4o-mini (oai_token-act-pair)' },
    ]);
    expect(r.skipped).toEqual([
      { row: 3, id: '255', reason: 'feature 255 was already labelled by row 1 (the first row for a feature is used)' },
      { row: 4, id: '7', reason: 'this explanation is for demo-adhd/3-res-demo, not demo-adhd/2-res-demo (the first row of the file)' },
    ]);
    // The SAE's cfg neuronpedia_id decides which rows are for it.
    const other = read(file, 256, 'demo-adhd/3-res-demo');
    expect(other.rows.map((x) => x.feature)).toEqual([7]);
    expect(other.skipped[0].reason).toBe("this explanation is for demo-adhd/2-res-demo, not demo-adhd/3-res-demo (the SAE's neuronpedia_id)");
  });

  it('reads the Neuronpedia datasets JSONL, gzipped too, with blank and broken lines skipped by line number', () => {
    const lines = [JSON.stringify(explanation('0', 'zero')), '', '{broken', JSON.stringify(explanation(1, 'one'))].join('\n');
    for (const file of [write('batch-0.jsonl', lines), write('batch-0.jsonl.gz', gzipSync(lines))]) {
      const r = read(file);
      expect(r.format).toBe('neuronpedia');
      expect(r.rows.map((x) => [x.row, x.feature, x.label])).toEqual([
        [1, 0, 'zero'],
        [4, 1, 'one'],
      ]);
      expect(r.skipped).toEqual([{ row: 3, id: null, reason: expect.stringMatching(/^not valid JSON/) }]);
    }
  });

  it('normalises labels to one line and refuses over-long text row by row, not by truncating', () => {
    const r = read(write('long.csv', `feature,label,note\n1,"  two\n lines\t here ",\n2,${'x'.repeat(201)},\n3,ok,${'n'.repeat(4001)}\n`));
    expect(r.rows).toEqual([{ row: 2, feature: 1, label: 'two lines here' }]);
    expect(r.skipped.map((s) => s.reason)).toEqual(['the label has 201 characters, over the 200 allowed', 'the note has 4,001 characters, over the 4,000 allowed']);
  });

  it('bounds its cost: size before reading (and after gunzip), nesting depth, and the skipped rows it lists', () => {
    const big = write('big.csv', `feature,label\n${'1,x\n'.repeat(1000)}`);
    expect(() => readLabelFile(big, { dSae: 4, maxBytes: 1000 })).toThrow(expect.objectContaining({ code: 'FILE_TOO_LARGE' }));
    const bomb = write('bomb.json.gz', gzipSync(Buffer.alloc(200_000, 0x20)));
    expect(() => readLabelFile(bomb, { dSae: 4, maxBytes: 100_000 })).toThrow(expect.objectContaining({ code: 'FILE_TOO_LARGE', message: expect.stringContaining('unpacks to more than 100000 bytes') }));
    expect(() => read(write('deep.json', `${'['.repeat(40)}${']'.repeat(40)}`))).toThrow(/nests arrays and objects more than 16 levels deep/);
    const many = read(write('many.csv', `feature,label\n${Array.from({ length: 1000 }, (_, i) => `${i + 10},x`).join('\n')}\n`), 10);
    expect(many.skippedCount).toBe(1000);
    expect(many.skipped).toHaveLength(LABEL_IMPORT_LISTED_SKIPS);
  });

  it('refuses a FIFO (it would block a reader forever), a folder, and a file that is not a label file', () => {
    const fifo = path.join(tmp.dir, 'labels.fifo.json');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    expect(() => read(fifo)).toThrow(expect.objectContaining({ code: 'NOT_A_FILE', message: expect.stringContaining('named pipe (FIFO)') }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(() => read(tmp.dir)).toThrow(expect.objectContaining({ code: 'NOT_A_FILE' }));
    expect(() => read(write('settings.json', JSON.stringify({ theme: 'dark', size: 3 })))).toThrow(/keys \("theme", "size"\.\.\.\) are not feature ids/);
    expect(() => read(write('number.json', '42'))).toThrow(/is 42, not a list or an object of labels/);
    expect(() => read(write('bad.json', '[1,'))).toThrow(expect.objectContaining({ code: 'LABEL_FILE_INVALID' }));
  });

  it('splits CSV records by RFC 4180 and keeps the line each record starts on', () => {
    expect(csvRecords('x.csv', 'a,"b\nc",d\n\ne,f', ',')).toEqual([
      { line: 1, cells: ['a', 'b\nc', 'd'] },
      { line: 4, cells: ['e', 'f'] },
    ]);
  });
});
