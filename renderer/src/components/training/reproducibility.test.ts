import { describe, expect, it } from 'vitest';
import { reproducibilityNote } from './reproducibility';

describe('reproducibilityNote', () => {
  it('promises bit-identical repeats and resumes on CPU only', () => {
    expect(reproducibilityNote('cpu', 'auto')).toMatchObject({ kind: 'exact', text: expect.stringMatching(/byte-identical.*kill -9/) });
    expect(reproducibilityNote(null, 'cpu').kind).toBe('exact');
  });

  it('says a GPU run is not bit-reproducible, naming the provider that ran', () => {
    const cuda = reproducibilityNote('cuda', 'auto');
    expect(cuda.kind).toBe('not-exact');
    expect(cuda.text).toMatch(/^Not bit-reproducible: this run trains on CUDA\./);
    expect(reproducibilityNote('webgpu', 'webgpu').text).toContain('on WEBGPU');
    // Before the run reports its provider, a GPU choice may still end on CPU (the fallback).
    expect(reproducibilityNote(null, 'auto')).toMatchObject({ kind: 'not-exact', text: expect.stringMatching(/^Device auto: if this run trains on a GPU provider/) });
    expect(reproducibilityNote(null, 'webgpu').text).toMatch(/^Device webgpu: /);
  });
});
