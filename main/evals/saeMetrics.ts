/**
 * THE definitions of the SAE quality metrics (DESIGN.md section 5, matching sae_lens 6.x evals),
 * used by training, the eval job, the CLI and every view. Accumulation is float64; special tokens
 * (BOS) are excluded by the callers, which feed only the positions that count.
 *
 *  - FVE (explained variance) = 1 - sum ||x - x_hat||^2 / sum ||x - mean(x)||^2, pooled over all
 *    evaluated tokens (= 1 - E||x - x_hat||^2 / (E||x||^2 - ||E[x]||^2));
 *  - L0 = mean count of nonzero latents per token;
 *  - dead % = share of latents that did not fire in the window (the evaluated tokens, or in
 *    training the last dead-window steps);
 *  - L2 ratio = mean over tokens of ||x_hat|| / ||x|| (a token with ||x|| < 1e-4 divides by 1, as
 *    sae_lens does);
 *  - CE-loss score = (CE_zero_ablation - CE_with_sae) / (CE_zero_ablation - CE_clean);
 *  - KL score = (KL_zero_ablation - KL_with_sae) / KL_zero_ablation, KL(clean || patched) summed
 *    over the vocabulary, averaged over tokens;
 *  - sparsity (sparsity.safetensors) = log10(firing frequency + 1e-10).
 */

/** 1 - residual / centred sum of squares, from the two pooled sums. */
export function fveFromSums(residualSumSq: number, centredSumSq: number): number {
  return centredSumSq > 0 ? 1 - residualSumSq / centredSumSq : Number.NaN;
}

export function ceLossScore(ceClean: number, ceWithSae: number, ceZeroAblation: number): number {
  return (ceZeroAblation - ceWithSae) / (ceZeroAblation - ceClean);
}

export function klScore(klWithSae: number, klZeroAblation: number): number {
  return (klZeroAblation - klWithSae) / klZeroAblation;
}

export function deadPercent(deadLatents: number, dSae: number): number {
  return (100 * deadLatents) / dSae;
}

/** sparsity.safetensors' "sparsity": log10 of each latent's firing frequency, + 1e-10. */
export function logSparsity(fireCounts: ArrayLike<number>, tokens: number): Float32Array {
  return Float32Array.from(fireCounts, (c) => Math.log10(c / Math.max(1, tokens) + 1e-10));
}

/** KL(p || q) for one position from logits, with p and q the softmaxes (float64, stable). */
export function klFromLogits(pLogits: ArrayLike<number>, qLogits: ArrayLike<number>, offset = 0, n = pLogits.length): number {
  let pMax = -Infinity;
  let qMax = -Infinity;
  for (let i = offset; i < offset + n; i++) {
    if (pLogits[i] > pMax) pMax = pLogits[i];
    if (qLogits[i] > qMax) qMax = qLogits[i];
  }
  let pSum = 0;
  let qSum = 0;
  for (let i = offset; i < offset + n; i++) {
    pSum += Math.exp(pLogits[i] - pMax);
    qSum += Math.exp(qLogits[i] - qMax);
  }
  const pLse = pMax + Math.log(pSum);
  const qLse = qMax + Math.log(qSum);
  let kl = 0;
  for (let i = offset; i < offset + n; i++) {
    const logP = pLogits[i] - pLse;
    kl += Math.exp(logP) * (logP - (qLogits[i] - qLse));
  }
  return Math.max(0, kl);
}

/**
 * Reconstruction metrics pooled over tokens: feed rows of x, x_hat and each row's count of
 * nonzero latents (plus which latents fired, for the dead share and sparsity).
 */
export class ReconstructionAccumulator {
  private tokens = 0;
  private residualSumSq = 0;
  private sumSq = 0;
  private readonly sum: Float64Array;
  private nonzero = 0;
  private l2RatioSum = 0;
  readonly fireCounts: Float64Array;

  constructor(
    readonly dIn: number,
    readonly dSae: number,
  ) {
    this.sum = new Float64Array(dIn);
    this.fireCounts = new Float64Array(dSae);
  }

  /** Row r of x / xHat is [r * dIn, (r + 1) * dIn). `fired(r, visit)` calls visit(latent) per nonzero latent of row r. */
  addRows(x: ArrayLike<number>, xHat: ArrayLike<number>, rows: number, fired: (row: number, visit: (latent: number) => void) => void): void {
    const d = this.dIn;
    for (let r = 0; r < rows; r++) {
      let xx = 0;
      let hh = 0;
      for (let i = r * d; i < (r + 1) * d; i++) {
        const xi = x[i];
        const diff = xi - xHat[i];
        this.residualSumSq += diff * diff;
        xx += xi * xi;
        hh += xHat[i] * xHat[i];
        this.sum[i - r * d] += xi;
      }
      this.sumSq += xx;
      const normIn = Math.sqrt(xx);
      this.l2RatioSum += Math.sqrt(hh) / (normIn < 1e-4 ? 1 : normIn);
      fired(r, (latent) => {
        this.nonzero++;
        this.fireCounts[latent]++;
      });
    }
    this.tokens += rows;
  }

  get tokenCount(): number {
    return this.tokens;
  }

  fve(): number {
    let meanSq = 0;
    for (const s of this.sum) meanSq += s * s;
    return fveFromSums(this.residualSumSq, this.sumSq - meanSq / this.tokens);
  }

  mse(): number {
    return this.residualSumSq / this.tokens;
  }

  l0(): number {
    return this.nonzero / this.tokens;
  }

  l2Ratio(): number {
    return this.l2RatioSum / this.tokens;
  }

  deadPercent(): number {
    let dead = 0;
    for (const c of this.fireCounts) if (c === 0) dead++;
    return deadPercent(dead, this.dSae);
  }
}

/** A running mean in float64. */
export class MeanAccumulator {
  private total = 0;
  private n = 0;

  add(v: number): void {
    this.total += v;
    this.n++;
  }

  get count(): number {
    return this.n;
  }

  mean(): number {
    return this.n > 0 ? this.total / this.n : Number.NaN;
  }
}
