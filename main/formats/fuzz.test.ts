/**
 * Seeded fuzzing of every parser that reads files users bring: mutated safetensors bytes, mutated
 * sae_lens cfg.json objects and mutated model config.json files. The only acceptable failure is a
 * WorkbenchError; anything else (TypeError, RangeError, a hang) is a bug.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../errors';
import { loadModel, readModelConfig } from './models/registry';
import { writeGpt2Directory } from './models/gpt2Writer';
import { writeHookedTransformerDirectory } from './models/hookedTransformerWriter';
import { parseSaeConfig } from './saeConfig';
import { encodeSafetensors, parseSafetensors, readSafetensorsHeader, toFloat32 } from './safetensors';
import { writeNeoxDirectory } from './testing/neoxFixture';
import { v6TopkCfg } from './testing/saeFixture';
import { SeededRandom } from '../random/seededRandom';
import { randomTransformer, tinyConfig } from './testing/transformerFixture';

const root = mkdtempSync(join(tmpdir(), 'fuzz-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Run `fn`; return 'ok' or 'rejected', and fail the test on any other kind of throw. */
function outcome(fn: () => void, describeCase: () => string): 'ok' | 'rejected' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof WorkbenchError) {
      expect(err.message.length).toBeGreaterThan(0);
      expect(err.hint).toBeTruthy();
      return 'rejected';
    }
    throw new Error(`non-WorkbenchError for ${describeCase()}: ${(err as Error).stack ?? String(err)}`);
  }
}

function randomValue(rng: SeededRandom): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => rng.int(10),
    () => -rng.int(1000) - 1,
    () => rng.next() * 100,
    () => 2 ** 53 + rng.int(100),
    () => 1e308 * 10,
    () => 'x'.repeat(rng.int(5)),
    () => rng.pick(['F32', 'F16', 'BF16', 'I64', 'topk', 'jumprelu', 'standard', 'float32', 'torch.float16', 'blocks.3.hook_resid_post', '']),
    () => rng.next() < 0.5,
    () => [rng.int(4), rng.int(4)],
    () => [],
    () => ({}),
    () => ({ k: rng.int(10) }),
  ])();
}

function baseSafetensors(): Buffer[] {
  const rng = new SeededRandom(11);
  return [
    encodeSafetensors(
      {
        w: { dtype: 'F32', shape: [3, 4], data: rng.floats(12) },
        h: { dtype: 'F16', shape: [5], data: rng.floats(5) },
        b: { dtype: 'BF16', shape: [2, 2], data: rng.floats(4) },
        i: { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, -2n]) },
        m: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
        d: { dtype: 'F64', shape: [1], data: new Float64Array([0.5]) },
      },
      { format: 'pt' },
    ),
    encodeSafetensors({ only: { dtype: 'F32', shape: [7], data: rng.floats(7) } }),
    encodeSafetensors({}),
  ];
}

function mutateHeaderJson(rng: SeededRandom, buf: Buffer): Buffer {
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString()) as Record<string, Record<string, unknown>>;
  const names = Object.keys(header);
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    const name = names.length ? rng.pick(names) : 'x';
    const entry = header[name];
    const op = rng.int(7);
    if (op === 0) delete header[name];
    else if (op === 1) header[name] = randomValue(rng) as Record<string, unknown>;
    else if (op === 2 && entry && typeof entry === 'object') entry[rng.pick(['dtype', 'shape', 'data_offsets'])] = randomValue(rng);
    else if (op === 3 && entry && Array.isArray(entry.data_offsets)) entry.data_offsets = [(entry.data_offsets[0] as number) + rng.int(9) - 4, (entry.data_offsets[1] as number) + rng.int(9) - 4];
    else if (op === 4 && entry && Array.isArray(entry.shape)) entry.shape = [...(entry.shape as number[]), rng.int(3)];
    else if (op === 5) header[`extra${rng.int(5)}`] = { dtype: rng.pick(['F32', 'U8', 'Q4']), shape: [rng.int(3)], data_offsets: [rng.int(80), rng.int(80)] };
    else header.__metadata__ = randomValue(rng) as Record<string, unknown>;
  }
  let json = Buffer.from(JSON.stringify(header));
  if (rng.next() < 0.7) json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, buf.subarray(8 + n)]);
}

function mutateSafetensors(rng: SeededRandom, base: Buffer): Buffer {
  const b = Buffer.from(base);
  switch (rng.int(5)) {
    case 0: {
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips; i++) b[rng.int(b.length)] ^= 1 << rng.int(8);
      return b;
    }
    case 1:
      return b.subarray(0, rng.int(b.length));
    case 2: {
      const n = b.readBigUInt64LE(0);
      const choices = [n + BigInt(rng.int(33)) - 16n, BigInt(rng.int(1 << 20)), 2n ** 64n - 1n - BigInt(rng.int(10)), 100_000_001n, 0n];
      const v = rng.pick(choices);
      b.writeBigUInt64LE(v < 0n ? 0n : v, 0);
      return b;
    }
    case 3:
      return mutateHeaderJson(rng, b);
    default: {
      // Header text surgery: overwrite a random header byte with JSON-significant characters.
      const n = Number(b.readBigUInt64LE(0));
      if (n > 0) b[8 + rng.int(n)] = rng.pick([...'{}[]",:0-9e.'].map((c) => c.charCodeAt(0)));
      return b;
    }
  }
}

describe('fuzz', () => {
  it('safetensors: 4000 mutated files only ever raise WorkbenchError', () => {
    const rng = new SeededRandom(2024);
    const bases = baseSafetensors();
    let ok = 0;
    let rejected = 0;
    for (let i = 0; i < 4000; i++) {
      const mutated = mutateSafetensors(rng, bases[i % bases.length]);
      const bytes = new Uint8Array(mutated.length);
      bytes.set(mutated);
      const result = outcome(
        () => {
          const st = parseSafetensors(bytes, 'fuzz.safetensors');
          for (const t of st.tensors.values()) {
            const values = toFloat32(t);
            expect(values.length).toBe(t.shape.reduce((a, d) => a * d, 1));
          }
        },
        () => `case ${i}: ${mutated.subarray(0, 200).toString('latin1')}`,
      );
      if (result === 'ok') ok++;
      else rejected++;
      if (i % 10 === 0) {
        // The on-disk path (header-only reads through a file descriptor) must agree with the in-memory one.
        const file = join(root, 'fuzz.safetensors');
        writeFileSync(file, mutated);
        expect(outcome(() => void readSafetensorsHeader(file), () => `file case ${i}`)).toBe(result);
      }
    }
    // Both paths must be exercised for the fuzzing to mean anything.
    expect(ok).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(1000);
  });

  it('sae cfg.json: 5000 mutated configs only ever raise WorkbenchError, and accepted ones are sane', () => {
    const rng = new SeededRandom(77);
    const bases: Record<string, unknown>[] = [
      v6TopkCfg(16, 64, 8),
      { ...v6TopkCfg(16, 64, 8), architecture: 'jumprelu' },
      { architecture: 'standard', d_in: 16, d_sae: 64, activation_fn_str: 'topk', activation_fn_kwargs: { k: 4 }, hook_name: 'blocks.2.hook_resid_pre', hook_layer: 2, dtype: 'torch.float32', normalize_activations: 'none', sae_lens_training_version: '5.1.0' },
      { d_in: 16, d_sae: 64, hook_point: 'blocks.0.hook_mlp_out', hook_point_layer: 0, normalize_activations: true },
    ];
    let ok = 0;
    for (let i = 0; i < 5000; i++) {
      const cfg = structuredClone(bases[i % bases.length]) as Record<string, unknown>;
      const edits = 1 + rng.int(3);
      for (let e = 0; e < edits; e++) {
        const target = cfg.metadata && typeof cfg.metadata === 'object' && rng.next() < 0.3 ? (cfg.metadata as Record<string, unknown>) : cfg;
        const keys = Object.keys(target);
        const key = keys.length && rng.next() < 0.85 ? rng.pick(keys) : rng.pick(['k', 'metadata', 'meta', 'activation_fn_kwargs', 'hook_name', 'sae_lens_version', 'rescale_acts_by_decoder_norm']);
        if (rng.next() < 0.3) delete target[key];
        else target[key] = randomValue(rng);
      }
      const scaler = rng.next() < 0.1 ? randomValue(rng) : undefined;
      const result = outcome(
        () => {
          const c = parseSaeConfig(cfg, 'fuzz/cfg.json', scaler);
          expect(['topk', 'standard', 'jumprelu']).toContain(c.architecture);
          expect(Number.isSafeInteger(c.dIn) && c.dIn > 0).toBe(true);
          expect(Number.isSafeInteger(c.dSae) && c.dSae > 0).toBe(true);
          if (c.architecture === 'topk') expect(Number.isInteger(c.k) && c.k! > 0 && c.k! <= c.dSae).toBe(true);
          else expect(c.k).toBeNull();
          expect(typeof c.hookName === 'string' && c.hookName.length > 0).toBe(true);
          expect(c.hookLayer === null || Number.isInteger(c.hookLayer)).toBe(true);
        },
        () => `case ${i}: ${JSON.stringify(cfg)}`,
      );
      if (result === 'ok') ok++;
    }
    expect(ok).toBeGreaterThan(500);
    expect(ok).toBeLessThan(4900);
  });

  it('model config.json: 450 mutated GPT-2, TL and GPT-NeoX configs only ever raise WorkbenchError', () => {
    const rng = new SeededRandom(5);
    const weights = randomTransformer(tinyConfig(), 3);
    const dirs = [join(root, 'gpt2'), join(root, 'tl'), join(root, 'neox')];
    writeGpt2Directory(dirs[0], weights);
    writeHookedTransformerDirectory(dirs[1], weights);
    writeNeoxDirectory(dirs[2], weights);
    const originals = dirs.map((d) => JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')) as Record<string, unknown>);
    let ok = 0;
    for (let i = 0; i < 450; i++) {
      const which = i % 3;
      const cfg = structuredClone(originals[which]);
      const keys = Object.keys(cfg);
      const edits = 1 + rng.int(2);
      for (let e = 0; e < edits; e++) {
        const key = rng.pick(keys);
        if (rng.next() < 0.3) delete cfg[key];
        else cfg[key] = randomValue(rng);
      }
      writeFileSync(join(dirs[which], 'config.json'), JSON.stringify(cfg));
      const result = outcome(
        () => {
          readModelConfig(dirs[which]);
          loadModel(dirs[which]);
        },
        () => `case ${i}: ${JSON.stringify(cfg)}`,
      );
      if (result === 'ok') ok++;
    }
    expect(ok).toBeGreaterThan(20);
  });
});
