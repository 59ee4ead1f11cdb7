import { describe, expect, it } from 'vitest';
import type { JobParamsSchema } from '../../../../preload/api';
import { formFields, humanLabel, paramsFromValues, unknownKeys, valuesFromParams } from './schemaForm';

/** hub.download's params as jobs.kinds sends them (zod toJSONSchema, input side). */
const download: JobParamsSchema = {
  type: 'object',
  properties: {
    repoId: { type: 'string', minLength: 1, description: 'The Hub repo.' },
    repoType: { default: 'model', type: 'string', enum: ['model', 'dataset'] },
    revision: { default: 'main', type: 'string' },
    include: { type: 'array', items: { type: 'string' } },
    parallelFiles: { type: 'integer', minimum: 1, maximum: 16 },
    keepPartialOnCancel: { default: false, type: 'boolean' },
    expected: { type: 'object', additionalProperties: { type: 'string' } },
  },
  required: ['repoId'],
  additionalProperties: false,
};

describe('job forms generated from a params schema', () => {
  it('one field per parameter: its kind, label, default, description, bounds', () => {
    const fields = formFields(download);
    expect(fields.map((f) => [f.key, f.label, f.kind, f.required])).toEqual([
      ['repoId', 'Repo id', 'text', true],
      ['repoType', 'Repo type', 'enum', false],
      ['revision', 'Revision', 'text', false],
      ['include', 'Include', 'lines', false],
      ['parallelFiles', 'Parallel files', 'integer', false],
      ['keepPartialOnCancel', 'Keep partial on cancel', 'boolean', false],
      ['expected', 'Expected', 'json', false],
    ]);
    expect(fields[0].description).toBe('The Hub repo.');
    expect(fields[4]).toMatchObject({ min: 1, max: 16 });
    expect(humanLabel('d_sae')).toBe('D sae');
  });

  it('starts from the defaults, and builds params from what is typed', () => {
    const fields = formFields(download);
    const start = valuesFromParams(fields);
    expect(start).toEqual({ repoId: '', repoType: '"model"', revision: 'main', include: '', parallelFiles: '', keepPartialOnCancel: false, expected: '' });
    // Nothing typed yet: the one required field is named.
    expect(paramsFromValues(fields, start).errors).toEqual({ repoId: 'required' });
    const filled = { ...start, repoId: ' org/name ', include: 'a/*\n\n b/* ', parallelFiles: '4', repoType: '"dataset"', expected: '{"x": "y"}' };
    expect(paramsFromValues(fields, filled)).toEqual({
      params: { repoId: 'org/name', repoType: 'dataset', revision: 'main', include: ['a/*', 'b/*'], parallelFiles: 4, keepPartialOnCancel: false, expected: { x: 'y' } },
      errors: {},
    });
  });

  it('names what is wrong with each field, and round-trips params through the form', () => {
    const fields = formFields(download);
    const bad = { ...valuesFromParams(fields), repoId: 'o/n', parallelFiles: '40', expected: '{oops' };
    expect(paramsFromValues(fields, bad).errors).toEqual({ parallelFiles: 'at most 16', expected: 'not valid JSON' });
    expect(paramsFromValues(fields, { ...bad, parallelFiles: '2.5', expected: '' }).errors).toEqual({ parallelFiles: 'must be a whole number' });
    const params = { repoId: 'o/n', repoType: 'dataset', revision: 'v1', include: ['x'], parallelFiles: 3, keepPartialOnCancel: true, expected: { a: 'b' } };
    expect(paramsFromValues(fields, valuesFromParams(fields, params)).params).toEqual(params);
    expect(unknownKeys(fields, { repoId: 'x', repo: 'y', branch: 'z' })).toEqual(['repo', 'branch']);
  });

  it('a list parameter with a minimum count (files.verify paths) says how many it needs', () => {
    const fields = formFields({ type: 'object', properties: { paths: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } } }, required: ['paths'] });
    expect(paramsFromValues(fields, { paths: '\n  \n' }).errors).toEqual({ paths: 'required' });
    expect(paramsFromValues(fields, { paths: '/a\n/b' }).params).toEqual({ paths: ['/a', '/b'] });
  });
});
