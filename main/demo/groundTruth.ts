import type { TransformerWeights } from '../formats/transformer';
import { crossEntropy, logSoftmaxAt, type BigramModel } from './bigramModel';
import { dot, type PlantedMechanism } from './demoModels';
import { forward64, type ResidEdit } from './transformerForward64';

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

/** The target token at step onsets under an intervention on blocks.L.hook_resid_post. */
export interface InterventionFigures {
  /** What was done, e.g. "adhd, d projected out at every position". */
  intervention: string;
  targetLogitAtStep: number;
  targetLogProbAtStep: number;
}

export interface GroundTruthFigures {
  standard: MechanismFigures;
  adhd: MechanismFigures;
  /** adhd with the planted direction projected out: back to standard's numbers. */
  adhdAblated: InterventionFigures;
  /** standard with (adhd's mean step projection) x d added at step onsets: adhd's numbers. */
  standardSteered: InterventionFigures;
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

/** Target token logit and log-probability at step onsets with `edit` applied to resid_post rows. */
export function measureIntervention(
  model: TransformerWeights,
  planted: PlantedMechanism,
  documents: number[][],
  intervention: string,
  where: 'every position' | 'step onsets',
  edit: ResidEdit,
): InterventionFigures {
  const logits: number[] = [];
  const logProbs: number[] = [];
  for (const doc of documents) {
    const seq = [0, ...doc];
    const f = forward64(model, seq, (layer, t, row) => {
      if (where === 'every position' || seq[t] === planted.stepTokenId) edit(layer, t, row);
    });
    seq.forEach((tok, i) => {
      if (tok !== planted.stepTokenId) return;
      logits.push(f.logits[i][planted.targetTokenId]);
      logProbs.push(logSoftmaxAt(f.logits[i], planted.targetTokenId));
    });
  }
  return { intervention, targetLogitAtStep: mean(logits), targetLogProbAtStep: mean(logProbs) };
}

export function measureGroundTruth(models: { standard: TransformerWeights; adhd: TransformerWeights; planted: PlantedMechanism }, bigram: BigramModel, documents: number[][]): GroundTruthFigures {
  const V = bigram.vocabSize;
  const logUnigram = Array.from(bigram.unigram, Math.log);
  const { planted } = models;
  const adhd = measureMechanism(models.adhd, planted, documents);
  const dir = planted.direction;
  const ablate: ResidEdit = (layer, _t, row) => {
    if (layer !== planted.layer) return;
    const c = dot(row, dir);
    for (let i = 0; i < row.length; i++) row[i] -= c * dir[i];
  };
  const steer: ResidEdit = (layer, _t, row) => {
    if (layer !== planted.layer) return;
    for (let i = 0; i < row.length; i++) row[i] += adhd.stepProjection * dir[i];
  };
  return {
    standard: measureMechanism(models.standard, planted, documents),
    adhd,
    adhdAblated: measureIntervention(models.adhd, planted, documents, `adhd, d projected out of ${planted.hookName} at every position`, 'every position', ablate),
    standardSteered: measureIntervention(models.standard, planted, documents, `standard, ${adhd.stepProjection.toFixed(3)} x d added to ${planted.hookName} at step onsets`, 'step onsets', steer),
    unigramCrossEntropy: crossEntropy(documents, () => logUnigram),
    bigramCrossEntropy: crossEntropy(documents, (c) => bigram.logProb.subarray(c * V, (c + 1) * V)),
  };
}

function mean(xs: number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
