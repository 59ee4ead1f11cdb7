/**
 * NaN and infinity in weights and activations. A model or SAE with NaN weights runs "fine" and
 * produces all-NaN outputs that look like "nothing fires"; here such files are found when they
 * are loaded (and listed as a problem by inspect and the Library), and tensors in memory can be
 * checked before they are used or saved.
 *
 * Weight files are scanned from their raw bytes (every float dtype, never converted), streamed in
 * chunks so a multi-gigabyte file needs no more memory than one chunk, once per file: the result
 * is cached by the file's identity (real path, device, inode, size, modification time), in memory
 * and, where a process has a data directory, on disk under <home>/cache/finite-weights, so the
 * Library's rescans and every job that loads the same weights pay for the scan once.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { withFile } from './openedFile';
import { readSafetensorsHeader, type SafetensorsDtype } from './safetensors';

export interface NonFiniteCount {
  nan: number;
  inf: number;
}

export interface NonFiniteTensor extends NonFiniteCount {
  name: string;
  elements: number;
}

/**
 * Buffers that hold non-finite values on purpose and are never read as weights: TransformerLens
 * keeps IGNORE = -inf (the attention mask fill value) in its state dict.
 */
const INTENTIONAL_BUFFERS = /(^|\.)IGNORE$/;
const CHUNK_BYTES = 16 << 20;
const CACHE_VERSION = 1;

/** NaN and ±Inf in float32 values (activations, converted weights). */
export function countNonFinite(data: Float32Array): NonFiniteCount {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // v - v is 0 for every finite v and NaN for NaN and ±Inf: one comparison on the hot path.
    if (v - v !== 0) {
      if (v !== v) nan++;
      else inf++;
    }
  }
  return { nan, inf };
}

function tally(c: NonFiniteCount, isNan: boolean): void {
  if (isNan) c.nan++;
  else c.inf++;
}

/** Counts over raw little-endian bits of one dtype; null for dtypes that cannot be non-finite. */
function rawCounter(dtype: SafetensorsDtype): ((bytes: Uint8Array, into: NonFiniteCount) => void) | null {
  switch (dtype) {
    case 'F32':
      return (b, c) => {
        const w = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
        for (let i = 0; i < w.length; i++) if ((w[i] & 0x7f800000) === 0x7f800000) tally(c, (w[i] & 0x007fffff) !== 0);
      };
    case 'F16':
      return (b, c) => {
        const h = new Uint16Array(b.buffer, b.byteOffset, b.byteLength >> 1);
        for (let i = 0; i < h.length; i++) if ((h[i] & 0x7c00) === 0x7c00) tally(c, (h[i] & 0x03ff) !== 0);
      };
    case 'BF16':
      return (b, c) => {
        const h = new Uint16Array(b.buffer, b.byteOffset, b.byteLength >> 1);
        for (let i = 0; i < h.length; i++) if ((h[i] & 0x7f80) === 0x7f80) tally(c, (h[i] & 0x007f) !== 0);
      };
    case 'F64':
      return (b, c) => {
        const w = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
        for (let i = 0; i + 1 < w.length; i += 2) if ((w[i + 1] & 0x7ff00000) === 0x7ff00000) tally(c, ((w[i + 1] & 0x000fffff) | w[i]) !== 0);
      };
    case 'F8_E4M3':
      // The "fn" variant (as PyTorch's float8_e4m3fn): no infinities, NaN is S.1111.111.
      return (b, c) => {
        for (let i = 0; i < b.length; i++) if ((b[i] & 0x7f) === 0x7f) c.nan++;
      };
    case 'F8_E5M2':
      return (b, c) => {
        for (let i = 0; i < b.length; i++) if ((b[i] & 0x7c) === 0x7c) tally(c, (b[i] & 0x03) !== 0);
      };
    default:
      return null;
  }
}

function scanFile(file: string): NonFiniteTensor[] {
  const header = readSafetensorsHeader(file);
  const found: NonFiniteTensor[] = [];
  withFile(file, (fd) => {
    const chunk = new Uint8Array(CHUNK_BYTES);
    for (const e of header.entries) {
      const count = rawCounter(e.dtype);
      if (!count || INTENTIONAL_BUFFERS.test(e.name)) continue;
      const c: NonFiniteCount = { nan: 0, inf: 0 };
      for (let pos = e.begin; pos < e.end; ) {
        const want = Math.min(CHUNK_BYTES, e.end - pos);
        let got = 0;
        while (got < want) {
          const n = fs.readSync(fd, chunk, got, want - got, header.dataStart + pos + got);
          if (n === 0) throw new WorkbenchError('SAFETENSORS_INVALID', `${file}: ended while reading tensor "${e.name}"; the file is truncated.`, 'The download was interrupted or the file was cut; download it again.');
          got += n;
        }
        count(chunk.subarray(0, want), c);
        pos += want;
      }
      if (c.nan + c.inf > 0) found.push({ name: e.name, elements: e.shape.reduce((a, b) => a * b, 1), ...c });
    }
  });
  return found;
}

const memoryCache = new Map<string, NonFiniteTensor[]>();
let diskCacheDir: string | null = null;

/** Keep scan results under `dir` as well (per process; the core and workers pass <home>/cache/finite-weights). */
export function useFiniteCheckCache(dir: string | null): void {
  diskCacheDir = dir;
}

export function finiteCheckCacheDir(home: string): string {
  return path.join(home, 'cache', 'finite-weights');
}

function identityOf(file: string): string {
  const real = fs.realpathSync(file);
  const st = fs.statSync(real);
  return `v${CACHE_VERSION}|${real}|${st.dev}|${st.ino}|${st.size}|${st.mtimeMs}`;
}

/** The floating tensors of a safetensors file that hold NaN or ±Inf (empty when all are finite). */
export function nonFiniteTensors(file: string): NonFiniteTensor[] {
  let key: string;
  try {
    key = identityOf(file);
  } catch {
    return scanFile(file); // unreadable: let the scan say why
  }
  const hit = memoryCache.get(key);
  if (hit) return hit;
  const stored = diskCacheDir ? path.join(diskCacheDir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`) : null;
  if (stored) {
    try {
      const cached = JSON.parse(fs.readFileSync(stored, 'utf8')) as { key: string; nonFinite: NonFiniteTensor[] };
      if (cached.key === key) {
        memoryCache.set(key, cached.nonFinite);
        return cached.nonFinite;
      }
    } catch {
      // not cached yet (or unreadable): scan
    }
  }
  const found = scanFile(file);
  memoryCache.set(key, found);
  if (stored) {
    try {
      fs.mkdirSync(path.dirname(stored), { recursive: true });
      const tmp = `${stored}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ key, nonFinite: found }));
      fs.renameSync(tmp, stored);
    } catch {
      // A cache that cannot be written only costs a rescan later.
    }
  }
  return found;
}

/** "2 NaN values", "1 infinite value", "3 non-finite values (1 NaN, 2 infinite)", with "(of N)" when a total is given. */
export function describeNonFinite(c: NonFiniteCount, total?: number): string {
  const n = c.nan + c.inf;
  const what = c.inf === 0 ? 'NaN' : c.nan === 0 ? 'infinite' : 'non-finite';
  const split = c.nan > 0 && c.inf > 0 ? ` (${c.nan} NaN, ${c.inf} infinite)` : '';
  return `${n} ${what} value${n === 1 ? '' : 's'}${split}${total === undefined ? '' : ` of ${total}`}`;
}

function describeTensor(t: NonFiniteTensor): string {
  return `tensor "${t.name}" holds ${describeNonFinite(t, t.elements)}`;
}

/** One line for inspect and the Library, or null when every weight is finite. */
export function nonFiniteProblem(file: string): string | null {
  const bad = nonFiniteTensors(file);
  if (bad.length === 0) return null;
  const more = bad.length > 3 ? `, and ${bad.length - 3} more tensors` : '';
  return `${path.basename(file)}: ${bad.slice(0, 3).map(describeTensor).join('; ')}${more}; it cannot be run`;
}

/** Refuse weights with NaN or ±Inf: WEIGHTS_NONFINITE naming the file, the tensors and the counts. */
export function requireFiniteWeights(file: string, what: string): void {
  const bad = nonFiniteTensors(file);
  if (bad.length === 0) return;
  const more = bad.length > 3 ? `, and ${bad.length - 3} more tensors` : '';
  throw new WorkbenchError(
    'WEIGHTS_NONFINITE',
    `${file}: ${bad.slice(0, 3).map(describeTensor).join('; ')}${more}. The ${what} would compute NaN everywhere.`,
    'The weights are damaged (a diverged training run, a bad conversion or a corrupt download): re-download or re-export them.',
  );
}

/** Refuse an in-memory tensor with NaN or ±Inf (inputs read from files, such as saved activations). */
export function requireFiniteTensor(data: Float32Array, what: string, hint: string): void {
  const count = countNonFinite(data);
  if (count.nan + count.inf === 0) return;
  throw new WorkbenchError('VALUES_NONFINITE', `${what} holds ${describeNonFinite(count, data.length)}.`, hint);
}
