/**
 * L2-regularised logistic regression, trained in float64 TypeScript by L-BFGS: probes are small
 * (a few thousand to a few hundred thousand positions, d_model or sparse SAE latents), so the
 * exact optimum of the strictly convex objective
 *
 *   f(w, b) = (1/n) sum_i [log(1 + exp(z_i)) - y_i z_i] + (l2 / 2) ||w||^2,   z_i = w . x_i + b
 *
 * (the bias is not penalised) is reached to a gradient tolerance in well under a second per probe,
 * with no dense [n, d_sae] matrix for sparse latents. Tests check it against Newton's method.
 */

/** The training inputs, dense or sparse, read row by row. */
export interface Design {
  n: number;
  d: number;
  /** w . x_i */
  dot(i: number, w: Float64Array): number;
  /** g += s x_i */
  addRow(i: number, s: number, g: Float64Array): void;
}

export function denseDesign(x: ArrayLike<number>, n: number, d: number): Design {
  return {
    n,
    d,
    dot(i, w) {
      let s = 0;
      const o = i * d;
      for (let j = 0; j < d; j++) s += x[o + j] * w[j];
      return s;
    },
    addRow(i, s, g) {
      const o = i * d;
      for (let j = 0; j < d; j++) g[j] += s * x[o + j];
    },
  };
}

/** CSR rows: row i holds cols[rowStart[i]..rowStart[i+1]) with values vals[...]. */
export function sparseDesign(rowStart: Int32Array, cols: Int32Array, vals: Float64Array, d: number): Design {
  return {
    n: rowStart.length - 1,
    d,
    dot(i, w) {
      let s = 0;
      for (let t = rowStart[i]; t < rowStart[i + 1]; t++) s += vals[t] * w[cols[t]];
      return s;
    },
    addRow(i, s, g) {
      for (let t = rowStart[i]; t < rowStart[i + 1]; t++) g[cols[t]] += s * vals[t];
    },
  };
}

export interface LogisticModel {
  w: Float64Array;
  b: number;
  loss: number;
  iterations: number;
  converged: boolean;
}

/** log(1 + e^z), stable for large |z|. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Objective and gradient at theta = [w..., b]. */
export function logisticObjective(X: Design, y: ArrayLike<number>, l2: number, theta: Float64Array): { f: number; g: Float64Array } {
  const { n, d } = X;
  const w = theta.subarray(0, d);
  const b = theta[d];
  const g = new Float64Array(d + 1);
  let f = 0;
  for (let i = 0; i < n; i++) {
    const z = X.dot(i, w) + b;
    f += softplus(z) - (y[i] ? z : 0);
    const r = (sigmoid(z) - (y[i] ? 1 : 0)) / n;
    X.addRow(i, r, g);
    g[d] += r;
  }
  f /= n;
  let ww = 0;
  for (let j = 0; j < d; j++) {
    ww += w[j] * w[j];
    g[j] += l2 * w[j];
  }
  return { f: f + (l2 / 2) * ww, g };
}

function dotv(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

export function trainLogistic(X: Design, y: ArrayLike<number>, opts: { l2: number; maxIterations?: number; tolerance?: number; memory?: number }): LogisticModel {
  const maxIterations = opts.maxIterations ?? 1000;
  const tolerance = opts.tolerance ?? 1e-7;
  const memory = opts.memory ?? 10;
  const dim = X.d + 1;
  let theta = new Float64Array(dim);
  let { f, g } = logisticObjective(X, y, opts.l2, theta);
  const S: Float64Array[] = [];
  const Yv: Float64Array[] = [];
  let iterations = 0;
  let converged = maxAbs(g) < tolerance;
  while (!converged && iterations < maxIterations) {
    // Two-loop recursion: direction = -H g.
    const q = Float64Array.from(g);
    const alpha: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      const a = dotv(S[k], q) / dotv(Yv[k], S[k]);
      alpha[k] = a;
      for (let i = 0; i < dim; i++) q[i] -= a * Yv[k][i];
    }
    const gamma = S.length > 0 ? dotv(S.at(-1)!, Yv.at(-1)!) / dotv(Yv.at(-1)!, Yv.at(-1)!) : 1 / Math.max(1, Math.sqrt(dotv(g, g)));
    for (let i = 0; i < dim; i++) q[i] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = dotv(Yv[k], q) / dotv(Yv[k], S[k]);
      for (let i = 0; i < dim; i++) q[i] += S[k][i] * (alpha[k] - beta);
    }
    const dir = q.map((v) => -v);
    let slope = dotv(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Yv.length = 0;
      for (let i = 0; i < dim; i++) dir[i] = -g[i] / Math.max(1, Math.sqrt(dotv(g, g)));
      slope = dotv(g, dir);
    }
    // Backtracking (Armijo).
    let step = 1;
    let next = theta;
    let trial = { f, g };
    for (let k = 0; k < 60; k++) {
      next = theta.map((v, i) => v + step * dir[i]);
      trial = logisticObjective(X, y, opts.l2, next);
      if (trial.f <= f + 1e-4 * step * slope) break;
      step /= 2;
    }
    const s = next.map((v, i) => v - theta[i]);
    const yk = trial.g.map((v, i) => v - g[i]);
    if (dotv(s, yk) > 1e-12) {
      S.push(s);
      Yv.push(yk);
      if (S.length > memory) {
        S.shift();
        Yv.shift();
      }
    }
    const improvement = f - trial.f;
    theta = next;
    ({ f, g } = trial);
    iterations++;
    converged = maxAbs(g) < tolerance || (improvement >= 0 && improvement < 1e-15 * Math.max(1, Math.abs(f)) && maxAbs(g) < tolerance * 100);
  }
  return { w: theta.slice(0, X.d), b: theta[X.d], loss: f, iterations, converged };
}

/** P(y = 1) for each row. */
export function predictLogistic(model: LogisticModel, X: Design): Float64Array {
  return Float64Array.from({ length: X.n }, (_, i) => sigmoid(X.dot(i, model.w) + model.b));
}
