import { describe, expect, it } from 'vitest';
import { compareStatements, experimentStatements, featuresStatements, jobCall, pyLiteral, pythonSnippet } from './pythonSnippet';

describe('Copy as Python snippets', () => {
  it('write JSON values as Python literals', () => {
    expect(pyLiteral({ a: [1, 2.5, -0.001], b: true, c: null, d: 'say "hi"\n\\ é' })).toBe('{"a": [1, 2.5, -0.001], "b": True, "c": None, "d": "say \\"hi\\"\\n\\\\ é"}');
    expect([NaN, Infinity, -Infinity].map(pyLiteral)).toEqual(['float("nan")', 'float("inf")', 'float("-inf")']);
  });

  it('connect to this core and call the client with the CLI option names, every parameter as the job recorded it', () => {
    const params = { dataset: '/d/dataset.jsonl', maxDocuments: 40, device: 'cpu', model: '/m/adhd', sae: '/s/adhd', features: [255], mode: 'zero', metric: 'logit:quickly', condition: 'named:step-onset', seeds: 5, drawsPerSeed: 4, nullSeed: 0 };
    const text = pythonSnippet(experimentStatements('20260101-0000abcd', 'experiment.ablate', params), { home: '/home/u/.sae-workbench', frontDoor: 'browser' });
    expect(text).toBe(
      [
        'from sae_workbench import Workbench',
        '',
        'wb = Workbench.connect("/home/u/.sae-workbench")',
        'job = wb.job("20260101-0000abcd")  # this result',
        'result = job.result()  # what the CLI prints with --json',
        'artifact = job.artifact()  # every parameter, the null draws',
        'again = wb.ablate(',
        '    dataset="/d/dataset.jsonl",',
        '    max_documents=40,',
        '    device="cpu",',
        '    model="/m/adhd",',
        '    sae="/s/adhd",',
        '    features=[255],',
        '    mode="zero",',
        '    metric="logit:quickly",',
        '    condition="named:step-onset",',
        '    seeds=5,',
        '    draws=4,',
        '    null_seed=0,',
        ')  # the same experiment, queued again',
        '',
      ].join('\n'),
    );
  });

  it('steering: one unlabelled panel as the CLI options, several panels as panels=[...]; probes without their derived source', () => {
    const single = jobCall('experiment.steer', { panels: [{ model: '/m', sae: '/s', feature: 7, intervention: 'add', strengths: [0, 4] }], steerAt: 'all', dataset: '/d' }, 'job');
    expect(single).toEqual({ call: 'wb.steer', assign: 'job', kwargs: { model: '/m', sae: '/s', feature: 7, intervention: 'add', strength: [0, 4], steer_at: 'all', dataset: '/d' } });
    const panels = [{ model: '/m', sae: '/s', feature: 7 }, { model: '/m2', sae: '/s', feature: 7 }];
    expect(jobCall('experiment.steer', { panels }, 'job').kwargs).toEqual({ panels });
    expect(jobCall('experiment.steer', { panels: [{ label: 'mine', model: '/m', sae: '/s', feature: 7 }] }, 'job').kwargs).toEqual({ panels: [{ label: 'mine', model: '/m', sae: '/s', feature: 7 }] });
    expect(jobCall('experiment.probe', { condition: 'c', dataset: '/d', probes: [{ model: '/m', source: 'hook', hook: 'h' }] }, 'job').kwargs).toEqual({ condition: 'c', dataset: '/d', probe: [{ model: '/m', hook: 'h' }] });
  });

  it('fall back to wb.queue(kind, params) when a parameter has no keyword', () => {
    expect(jobCall('train.sae', { model: '/m', gates: { minFve: 0.5 } }, 'job')).toEqual({ call: 'wb.queue', args: ['train.sae', { model: '/m', gates: { minFve: 0.5 } }], assign: 'job' });
    expect(jobCall('files.verify', { paths: ['/x'] }, 'job').call).toBe('wb.queue');
  });

  it('features and compare views', () => {
    expect(pythonSnippet(featuresStatements('ix-0123456789', 255), null).split('\n').slice(2)).toEqual([
      'wb = Workbench.connect()',
      'features = wb.features("ix-0123456789")  # one row per feature: fire_count, density, max, mean',
      'feature = wb.feature("ix-0123456789", 255)  # its page; feature["top"] is a DataFrame',
      'activations = wb.activations("ix-0123456789", features=[255])  # every token it fires on',
      '',
    ]);
    const shown = compareStatements({ a: 'ix-a000000000', b: 'ix-b000000000', method: 'auto', diff: { jobId: '20260101-0000abcd', params: { a: 'ix-a000000000', b: 'ix-b000000000', method: 'decoder', device: 'auto', condition: 'named:step-onset', minRate: 0.5 } }, form: {} });
    expect(pythonSnippet(shown, { home: '/h', frontDoor: 'electron' })).toContain('shown = wb.job("20260101-0000abcd").result()');
    expect(pythonSnippet(shown, { home: '/h', frontDoor: 'electron' })).toContain('serve --headless --home /h');
    expect(shown[1]).toMatchObject({ call: 'wb.diff', kwargs: { a: 'ix-a000000000', b: 'ix-b000000000', match: 'decoder', device: 'auto', condition: 'named:step-onset', min_rate: 0.5 } });
    expect(shown[2]).toMatchObject({ call: 'wb.match', kwargs: { a: 'ix-a000000000', b: 'ix-b000000000', method: 'auto' } });
  });
});
