/**
 * THE crosscoder diffing arithmetic (issue 19, DESIGN.md section 10), defined once, float64:
 *  - relative decoder norm  Δnorm_j = 0.5 * ((||d_B|| - ||d_A||) / max(||d_A||, ||d_B||) + 1),
 *    d_m = W_dec[m][j]: 0 = writes only into A, 1 = only into B, 0.5 = equally into both;
 *  - bands (editable): A-only <= 0.1, shared in [0.4, 0.6], B-only >= 0.9, else "other";
 *  - decoder cosine cos(d_A, d_B) (read for shared latents);
 *  - latent scaling (Minder et al. 2025): for an A-only or B-only latent j with decoder d = d_own
 *    and activation f_j, the closed-form least-squares
 *        beta(y) = sum_x f_j(x) <d, y(x)> / sum_x f_j(x)^2 ||d||^2   (argmin_b sum ||b f_j d - y||^2)
 *    for two targets per model m, in the crosscoder's normalised units (x_m / s_m):
 *        reconstruction  y = x_hat_m,
 *        error           y = x_m - x_hat_m + f_j d_m   (the error with j's own contribution added back);
 *    nu_r = beta_r(other) / beta_r(own), nu_eps = beta_eps(other) / beta_eps(own). Both small: the
 *    other model really lacks the direction (the latent's "only in one model" status survives);
 *    large: the latent only looks model-specific (a sparsity artefact the other model's
 *    reconstruction or error still carries).
 */
import type { CrosscoderBands, CrosscoderCategory } from '../../preload/api';

/** Δnorm of one latent from its two decoder norms; NaN when both are zero (the latent writes nothing). */
export function deltaNorm(normA: number, normB: number): number {
  const m = Math.max(normA, normB);
  return m > 0 ? 0.5 * ((normB - normA) / m + 1) : Number.NaN;
}

export function categoryOf(dn: number, bands: CrosscoderBands): CrosscoderCategory {
  if (dn <= bands.aOnlyMax) return 'a-only';
  if (dn >= bands.bOnlyMin) return 'b-only';
  if (dn >= bands.sharedMin && dn <= bands.sharedMax) return 'shared';
  return 'other';
}

/** Cosine of W_dec[0][j] and W_dec[1][j] (W_dec [2, d_sae, d]); null where either is zero. */
export function decoderCosine(W_dec: ArrayLike<number>, dSae: number, d: number, j: number): number | null {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  const a = j * d;
  const b = (dSae + j) * d;
  for (let i = 0; i < d; i++) {
    ab += W_dec[a + i] * W_dec[b + i];
    aa += W_dec[a + i] ** 2;
    bb += W_dec[b + i] ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : null;
}

/** Equal-width bins over [lo, hi]; the top edge belongs to the last bin. Non-finite values are left out. */
export function histogram(values: Iterable<number>, bins: number, lo: number, hi: number): { edges: number[]; counts: number[] } {
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  for (const v of values) {
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  }
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * width), counts };
}

/** Which model a one-model latent belongs to: 0 for A-only, 1 for B-only. */
export type OwnModel = 0 | 1;

/**
 * Sums for the latent-scaling betas of a set of latents, fed token by token. Each token gives the
 * normalised activations of both models (u_m = x_m / s_m), both normalised reconstructions and
 * the latents that fired with their f_j.
 */
export class LatentScaling {
  private readonly index = new Map<number, number>();
  /** Per tracked latent: [num_r A, num_r B, num_eps A, num_eps B, den]. */
  private readonly sums: Float64Array;

  constructor(
    private readonly latents: { latent: number; own: OwnModel }[],
    /** W_dec [2, d_sae, d] (normalised units). */
    private readonly W_dec: ArrayLike<number>,
    private readonly dSae: number,
    private readonly d: number,
  ) {
    latents.forEach((l, i) => this.index.set(l.latent, i));
    this.sums = new Float64Array(latents.length * 5);
  }

  /** Whether latent j is one this accumulator tracks. */
  tracks(j: number): boolean {
    return this.index.has(j);
  }

  /**
   * One token: u[m] and xhat[m] are the d-long normalised input and reconstruction of model m
   * (views at `offset`), and latent j fired with f.
   */
  add(j: number, f: number, u: [ArrayLike<number>, ArrayLike<number>], xhat: [ArrayLike<number>, ArrayLike<number>], offset: number): void {
    const i = this.index.get(j);
    if (i === undefined || f === 0) return;
    const { d, dSae, W_dec } = this;
    const own = this.latents[i].own;
    const dOwn = (own * dSae + j) * d;
    let dd = 0;
    for (let t = 0; t < d; t++) dd += W_dec[dOwn + t] ** 2;
    const s = this.sums;
    for (let m = 0; m < 2; m++) {
      const dm = (m * dSae + j) * d;
      let r = 0;
      let e = 0;
      for (let t = 0; t < d; t++) {
        const dir = W_dec[dOwn + t];
        const xh = xhat[m][offset + t];
        r += dir * xh;
        e += dir * (u[m][offset + t] - xh + f * W_dec[dm + t]);
      }
      s[i * 5 + m] += f * r;
      s[i * 5 + 2 + m] += f * e;
    }
    s[i * 5 + 4] += f * f * dd;
  }

  /** Per tracked latent: the four betas and the two ratios (null where the own-model beta is 0 or it never fired). */
  result(): Map<number, { betaR: [number, number]; betaEps: [number, number]; nuR: number | null; nuEps: number | null }> {
    const out = new Map<number, { betaR: [number, number]; betaEps: [number, number]; nuR: number | null; nuEps: number | null }>();
    this.latents.forEach(({ latent, own }, i) => {
      const s = this.sums.subarray(i * 5, i * 5 + 5);
      const den = s[4];
      const betaR: [number, number] = den > 0 ? [s[0] / den, s[1] / den] : [Number.NaN, Number.NaN];
      const betaEps: [number, number] = den > 0 ? [s[2] / den, s[3] / den] : [Number.NaN, Number.NaN];
      const other = (1 - own) as OwnModel;
      const ratio = (b: [number, number]) => (den > 0 && b[own] !== 0 && Number.isFinite(b[own]) ? b[other] / b[own] : null);
      out.set(latent, { betaR, betaEps, nuR: ratio(betaR), nuEps: ratio(betaEps) });
    });
    return out;
  }
}

export interface DecoderFigures {
  latent: number;
  /** NaN when both decoders are zero. */
  deltaNorm: number;
  category: CrosscoderCategory;
  cosAb: number | null;
}

/** Δnorm, band and decoder cosine of every latent, from W_dec [2, d_sae, d]. */
export function decoderFigures(W_dec: ArrayLike<number>, dSae: number, d: number, bands: CrosscoderBands): DecoderFigures[] {
  const out: DecoderFigures[] = [];
  for (let j = 0; j < dSae; j++) {
    let a = 0;
    let b = 0;
    for (let i = 0; i < d; i++) {
      a += W_dec[j * d + i] ** 2;
      b += W_dec[(dSae + j) * d + i] ** 2;
    }
    const dn = deltaNorm(Math.sqrt(a), Math.sqrt(b));
    out.push({ latent: j, deltaNorm: dn, category: Number.isNaN(dn) ? 'other' : categoryOf(dn, bands), cosAb: decoderCosine(W_dec, dSae, d, j) });
  }
  return out;
}

/** How many latents fall in each band, among the live ones (`live[j]`; all with a decoder when not given). */
export function bandCounts(figures: DecoderFigures[], live?: ArrayLike<boolean>): Record<CrosscoderCategory, number> & { live: number; dead: number } {
  const counts = { 'a-only': 0, shared: 0, 'b-only': 0, other: 0, live: 0, dead: 0 };
  for (const f of figures) {
    if (Number.isNaN(f.deltaNorm) || (live && !live[f.latent])) {
      counts.dead++;
      continue;
    }
    counts.live++;
    counts[f.category]++;
  }
  return counts;
}
