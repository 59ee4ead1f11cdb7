/**
 * Bigram statistics of the demo corpus: the "language" both demo models reproduce through their
 * residual streams. Float64 throughout; sizes are tiny (vocabulary of a few hundred).
 */
export interface BigramModel {
  vocabSize: number;
  /** Row-major [V, V]: logProb[cur * V + next] = log P(next | cur), smoothed toward the unigram. */
  logProb: Float64Array;
  /** P(next), from all predicted positions. */
  unigram: Float64Array;
}

/**
 * Count transitions within each document, with <|endoftext|> (id 0) before the first token and
 * after the last, the way GPT-2 separates documents. Additive smoothing of `alpha` pseudo-counts
 * spread by the unigram keeps every log-probability finite.
 */
export function fitBigram(documents: number[][], vocabSize: number, alpha = 0.5): BigramModel {
  const V = vocabSize;
  const counts = new Float64Array(V * V);
  const next = new Float64Array(V);
  for (const doc of documents) {
    const seq = [0, ...doc, 0];
    for (let i = 0; i + 1 < seq.length; i++) {
      counts[seq[i] * V + seq[i + 1]] += 1;
      next[seq[i + 1]] += 1;
    }
  }
  // Every token gets a little unigram mass so tokens never seen (e.g. <unk>) stay finite.
  const unigram = new Float64Array(V);
  let total = 0;
  for (let w = 0; w < V; w++) total += next[w] + 0.01;
  for (let w = 0; w < V; w++) unigram[w] = (next[w] + 0.01) / total;
  const logProb = new Float64Array(V * V);
  for (let c = 0; c < V; c++) {
    let rowTotal = 0;
    for (let w = 0; w < V; w++) rowTotal += counts[c * V + w];
    for (let w = 0; w < V; w++) logProb[c * V + w] = Math.log((counts[c * V + w] + alpha * unigram[w]) / (rowTotal + alpha));
  }
  return { vocabSize: V, logProb, unigram };
}

/** Mean cross-entropy (nats per token) of predicting each next token with `logits(cur)` (log-softmaxed). */
export function crossEntropy(documents: number[][], logitsOf: (cur: number) => ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (const doc of documents) {
    const seq = [0, ...doc, 0];
    for (let i = 0; i + 1 < seq.length; i++) {
      sum -= logSoftmaxAt(logitsOf(seq[i]), seq[i + 1]);
      n++;
    }
  }
  return sum / n;
}

export function logSoftmaxAt(logits: ArrayLike<number>, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i] - max);
  return logits[index] - max - Math.log(z);
}
