import type { TransformerWeights } from '../formats/transformer';
import { crossEntropy, logSoftmaxAt, type BigramModel } from './bigramModel';
import { dot, type PlantedMechanism } from './demoModels';
import { forward64 } from './transformerForward64';

/** What the planted mechanism measurably does, per model, on a held-out sample (float64 forward). */
export interface MechanismFigures {
  /** Mean of blocks.L.hook_resid_post · direction at step-onset tokens ("Step"). */
  stepProjection: number;
  /** Mean and max |.| of the same projection at every other token. */
  otherProjection: number;
  otherProjectionMaxAbs: number;
  /** Mean logit of the target token at step-onset tokens and elsewhere. */
  targetLogitAtStep: number;
  targetLogitElsewhere: number;
  /** Mean log-probability of the target token at step-onset tokens. */
  targetLogProbAtStep: number;
  /** Next-token cross-entropy (nats/token) on the sample, documents framed by <|endoftext|>. */
  crossEntropy: number;
  stepTokens: number;
  otherTokens: number;
}

export interface GroundTruthFigures {
  standard: MechanismFigures;
  adhd: MechanismFigures;
  unigramCrossEntropy: number;
  bigramCrossEntropy: number;
}

export function measureMechanism(model: TransformerWeights, planted: PlantedMechanism, documents: number[][]): MechanismFigures {
  const step: number[] = [];
  const other: number[] = [];
  const tStep: number[] = [];
  const tLogProbStep: number[] = [];
  const tOther: number[] = [];
  let ce = 0;
  let n = 0;
  for (const doc of documents) {
    const seq = [0, ...doc];
    const f = forward64(model, seq);
    seq.forEach((tok, i) => {
      const next = i + 1 < seq.length ? seq[i + 1] : 0;
      ce -= logSoftmaxAt(f.logits[i], next);
      n++;
      const p = dot(f.residPost[planted.layer][i], planted.direction);
      const logit = f.logits[i][planted.targetTokenId];
      if (tok === planted.stepTokenId) {
        step.push(p);
        tStep.push(logit);
        tLogProbStep.push(logSoftmaxAt(f.logits[i], planted.targetTokenId));
      } else {
        other.push(p);
        tOther.push(logit);
      }
    });
  }
  return {
    stepProjection: mean(step),
    otherProjection: mean(other),
    otherProjectionMaxAbs: Math.max(...other.map(Math.abs)),
    targetLogitAtStep: mean(tStep),
    targetLogitElsewhere: mean(tOther),
    targetLogProbAtStep: mean(tLogProbStep),
    crossEntropy: ce / n,
    stepTokens: step.length,
    otherTokens: other.length,
  };
}

export function measureGroundTruth(models: { standard: TransformerWeights; adhd: TransformerWeights; planted: PlantedMechanism }, bigram: BigramModel, documents: number[][]): GroundTruthFigures {
  const V = bigram.vocabSize;
  const logUnigram = Array.from(bigram.unigram, Math.log);
  return {
    standard: measureMechanism(models.standard, models.planted, documents),
    adhd: measureMechanism(models.adhd, models.planted, documents),
    unigramCrossEntropy: crossEntropy(documents, () => logUnigram),
    bigramCrossEntropy: crossEntropy(documents, (c) => bigram.logProb.subarray(c * V, (c + 1) * V)),
  };
}

function mean(xs: number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
