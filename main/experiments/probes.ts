/**
 * Linear probes for a token condition: logistic regression on hook activations of a model or on
 * an SAE's latents, positions labelled by the condition (BOS excluded), trained on some documents
 * and scored on held-out ones (the split is by document, seeded), with held-out accuracy, AUROC
 * and the majority-class baseline, all probes in one table.
 *
 * Inputs are standardised with training-set statistics: dense activations to zero mean and unit
 * sd per dimension, sparse latents scaled to unit root-mean-square (not centred, which keeps them
 * sparse). The L2 penalty applies in those units.
 */
import { isUncountedPosition } from '../datasets/tokenWindows';
import type { ProbeArtifact, ProbeResult, ProbeSettings } from '../../preload/api';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { runModel, runSae } from '../engine/runner';
import { WorkbenchError } from '../errors';
import { SeededRandom } from '../random/seededRandom';
import { accuracy, auroc, majorityBaseline } from '../stats/classification';
import { artifactEnvelope } from './artifactEnvelope';
import { savedConditionResolver } from './appDatabase';
import { conditionMasks, loadDocumentSlice, type DocumentSlice } from './documentSlice';
import type { ExperimentContext } from './experimentContext';
import { checkHook, checkSaeOnModel, checkSameVocabulary, loadExperimentModel, loadExperimentSae, modelLabel, saeLabel, type ExperimentModel, type ExperimentSae } from './experimentInputs';
import { countedRows } from './featureStats';
import { denseDesign, predictLogistic, sparseDesign, trainLogistic, type Design } from './logisticRegression';
import { formatStat as fmt } from '../../preload/api';

type ProbeSpecSettings = ProbeSettings['probes'][number];

interface ProbePlan {
  spec: ProbeSpecSettings;
  label: string;
  model: ExperimentModel;
  sae: ExperimentSae | null;
  hook: string;
}

/** Every probed position's inputs, in slice order (windows in order, BOS rows dropped). */
type Inputs = { kind: 'dense'; d: number; x: Float32Array } | { kind: 'sparse'; d: number; rowStart: Int32Array; cols: Int32Array; vals: Float32Array };

const GROUP = 64;

/** Documents held out: a seeded shuffle, the first round(D * fraction) of it (at least one each side). */
export function splitDocuments(count: number, testFraction: number, seed: number): { train: number[]; test: number[] } {
  if (count < 2) throw new WorkbenchError('PROBE_TOO_FEW_DOCUMENTS', `A probe needs at least two documents to hold one out; the slice has ${count}.`, 'Measure more documents.');
  const order = Array.from({ length: count }, (_, i) => i);
  const rng = new SeededRandom(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nTest = Math.min(count - 1, Math.max(1, Math.round(count * testFraction)));
  return { test: order.slice(0, nTest).sort((a, b) => a - b), train: order.slice(nTest).sort((a, b) => a - b) };
}

async function collectInputs(plan: ProbePlan, slice: DocumentSlice, device: ProbeSettings['device'], progress: (f: number) => void, throwIfStopped: () => void): Promise<{ inputs: Inputs; executionProvider: string }> {
  let executionProvider = 'cpu';
  const dense: Float32Array[] = [];
  const rowStarts: number[] = [0];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let g = 0; g < slice.windows.length; g += GROUP) {
    throwIfStopped();
    const group = Array.from({ length: Math.min(GROUP, slice.windows.length - g) }, (_, i) => g + i);
    const run = await runModel(plan.model.weights, group.map((i) => slice.windows[i].tokens), [plan.hook], { device });
    executionProvider = run.report.running;
    const where = `probe ${plan.label}, windows ${g}-${g + group.length - 1}`;
    requireFiniteOutputs(Object.fromEntries(run.hooks[plan.hook].map((t, i) => [`${plan.hook} (window ${g + i})`, t])), where);
    const x = countedRows(slice, group, run.hooks[plan.hook]);
    if (!plan.sae) dense.push(x);
    else {
      const sae = plan.sae.weights;
      const n = x.length / sae.config.dIn;
      if (sae.config.architecture === 'topk') {
        const enc = await runSae(sae, { data: x, shape: [n, sae.config.dIn] }, ['feature_indices', 'feature_values'], { device });
        requireFiniteOutputs({ feature_values: enc.outputs.feature_values }, `${where}, SAE ${sae.config.hookName}`);
        const idx = enc.outputs.feature_indices!.data as BigInt64Array;
        const v = enc.outputs.feature_values!.data as Float32Array;
        const k = enc.outputs.feature_values!.shape[1];
        for (let r = 0; r < n; r++) {
          for (let t = r * k; t < (r + 1) * k; t++) {
            if (v[t] > 0) {
              cols.push(Number(idx[t]));
              vals.push(v[t]);
            }
          }
          rowStarts.push(cols.length);
        }
      } else {
        const enc = await runSae(sae, { data: x, shape: [n, sae.config.dIn] }, ['feature_acts'], { device });
        requireFiniteOutputs({ feature_acts: enc.outputs.feature_acts }, `${where}, SAE ${sae.config.hookName}`);
        const a = enc.outputs.feature_acts!.data as Float32Array;
        const dSae = sae.config.dSae;
        for (let r = 0; r < n; r++) {
          for (let f = 0; f < dSae; f++) {
            if (a[r * dSae + f] > 0) {
              cols.push(f);
              vals.push(a[r * dSae + f]);
            }
          }
          rowStarts.push(cols.length);
        }
      }
    }
    progress((g + group.length) / slice.windows.length);
  }
  if (!plan.sae) {
    const d = plan.model.weights.config.dModel;
    const x = new Float32Array(dense.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of dense) {
      x.set(p, off);
      off += p.length;
    }
    return { inputs: { kind: 'dense', d, x }, executionProvider };
  }
  return { inputs: { kind: 'sparse', d: plan.sae.weights.config.dSae, rowStart: Int32Array.from(rowStarts), cols: Int32Array.from(cols), vals: Float32Array.from(vals) }, executionProvider };
}

/** Designs for chosen rows, standardised with statistics of the training rows. */
function standardisedDesigns(inputs: Inputs, train: number[], test: number[]): { train: Design; test: Design } {
  const d = inputs.d;
  if (inputs.kind === 'dense') {
    const mean = new Float64Array(d);
    const sq = new Float64Array(d);
    for (const r of train) for (let j = 0; j < d; j++) mean[j] += inputs.x[r * d + j] / train.length;
    for (const r of train) for (let j = 0; j < d; j++) sq[j] += (inputs.x[r * d + j] - mean[j]) ** 2 / train.length;
    const sd = sq.map((v) => (v > 0 ? Math.sqrt(v) : 1));
    const build = (rows: number[]) => {
      const x = new Float64Array(rows.length * d);
      rows.forEach((r, i) => {
        for (let j = 0; j < d; j++) x[i * d + j] = (inputs.x[r * d + j] - mean[j]) / sd[j];
      });
      return denseDesign(x, rows.length, d);
    };
    return { train: build(train), test: build(test) };
  }
  const ss = new Float64Array(d);
  for (const r of train) for (let t = inputs.rowStart[r]; t < inputs.rowStart[r + 1]; t++) ss[inputs.cols[t]] += inputs.vals[t] ** 2 / train.length;
  const scale = ss.map((v) => (v > 0 ? 1 / Math.sqrt(v) : 1));
  const build = (rows: number[]) => {
    const rowStart = new Int32Array(rows.length + 1);
    let nnz = 0;
    rows.forEach((r, i) => (rowStart[i + 1] = nnz += inputs.rowStart[r + 1] - inputs.rowStart[r]));
    const cols = new Int32Array(nnz);
    const vals = new Float64Array(nnz);
    rows.forEach((r, i) => {
      for (let t = inputs.rowStart[r], o = rowStart[i]; t < inputs.rowStart[r + 1]; t++, o++) {
        cols[o] = inputs.cols[t];
        vals[o] = inputs.vals[t] * scale[inputs.cols[t]];
      }
    });
    return sparseDesign(rowStart, cols, vals, d);
  };
  return { train: build(train), test: build(test) };
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);

export function probeVerdict(label: string, r: Pick<ProbeResult, 'accuracy' | 'auroc' | 'baseline' | 'testPositives' | 'testPositions'>): string {
  const base = r.baseline.accuracy;
  const head = `${label}: held-out accuracy ${pct(r.accuracy)} vs ${pct(base)} for always predicting ${r.baseline.majorityClass ? 'the condition' : 'not the condition'} (${r.testPositives} of ${r.testPositions} held-out positions match)`;
  const area = r.auroc === null ? '; AUROC undefined (one class absent from the held-out documents)' : `; AUROC ${r.auroc.toFixed(3)}`;
  if (r.accuracy === null || base === null) return `${head}${area}.`;
  const margin = (r.accuracy - base) * 100;
  return `${head}${area}. ${margin > 0 ? `Beats the majority baseline by ${fmt(margin)} points.` : 'Does not beat the majority baseline.'}`;
}

export async function runProbes(params: ProbeSettings, ctx: ExperimentContext): Promise<ProbeArtifact> {
  const started = Date.now();
  const plans: ProbePlan[] = params.probes.map((spec, i) => {
    const model = loadExperimentModel(spec.model);
    let sae: ExperimentSae | null = null;
    let hook: string;
    if (spec.source === 'sae') {
      if (!spec.sae) throw new WorkbenchError('BAD_ARGUMENT', `Probe ${i + 1} reads SAE latents but names no SAE.`, 'Give the SAE folder (sae), or probe a hook instead.');
      sae = loadExperimentSae(spec.sae);
      checkSaeOnModel(sae, model);
      hook = sae.weights.config.hookName;
    } else {
      if (!spec.hook) throw new WorkbenchError('BAD_ARGUMENT', `Probe ${i + 1} reads hook activations but names no hook.`, 'Give a hook, e.g. blocks.2.hook_resid_post.');
      hook = spec.hook;
      checkHook(model, hook);
    }
    return { spec, model, sae, hook, label: spec.label ?? (sae ? `${saeLabel(sae)} latents` : `${modelLabel(model)} · ${hook}`) };
  });
  const first = plans[0];
  for (const p of plans.slice(1)) checkSameVocabulary(first.model, p.model);
  ctx.progress(0, 'reading documents');
  const firstSae = plans.find((p) => p.sae)?.sae ?? null;
  const slice = await loadDocumentSlice(first.model.tokenizer, {
    dataset: params.dataset,
    textColumn: params.textColumn,
    maxDocuments: params.maxDocuments,
    contextSize: params.contextSize,
    saeContextSize: firstSae?.weights.config.contextSize ?? null,
    nCtx: Math.min(...plans.map((p) => p.model.weights.config.nCtx)),
    prependBos: firstSae?.weights.config.prependBos ?? first.model.weights.config.prependBos,
  });
  const { spec: condition, masks } = conditionMasks(slice.documents, first.model.tokenizer, params.condition, savedConditionResolver(ctx.home), slice.info.contextSize);
  const split = splitDocuments(slice.documents.length, params.testFraction, params.splitSeed);
  const isTest = new Uint8Array(slice.documents.length);
  for (const d of split.test) isTest[d] = 1;
  // Rows in the order collectInputs produces them: windows in order, the rows that do not count (BOS, continuation-window first tokens) dropped.
  const labels: number[] = [];
  const trainRows: number[] = [];
  const testRows: number[] = [];
  for (const w of slice.windows) {
    const doc = slice.documents[w.doc];
    for (let p = isUncountedPosition(doc.bos, 0) ? 1 : 0; p < w.tokens.length; p++) {
      (isTest[w.doc] ? testRows : trainRows).push(labels.length);
      labels.push(masks[w.doc][w.start + p]);
    }
  }
  const results: ProbeResult[] = [];
  let executionProvider = 'cpu';
  for (const [i, plan] of plans.entries()) {
    const span = 1 / plans.length;
    const { inputs, executionProvider: ep } = await collectInputs(plan, slice, params.device, (f) => ctx.progress(span * (i + 0.8 * f), `probe ${i + 1}/${plans.length}: reading ${plan.hook}`), () => ctx.throwIfStopped());
    executionProvider = ep;
    ctx.progress(span * (i + 0.8), `probe ${i + 1}/${plans.length}: training`);
    const designs = standardisedDesigns(inputs, trainRows, testRows);
    const yTrain = trainRows.map((r) => labels[r]);
    const yTest = testRows.map((r) => labels[r]);
    const model = trainLogistic(designs.train, yTrain, { l2: params.l2 });
    const scores = predictLogistic(model, designs.test);
    const partial = {
      accuracy: accuracy(scores, yTest, 0.5, `the held-out scores of probe ${plan.label}`),
      auroc: auroc(scores, yTest, `the held-out scores of probe ${plan.label}`),
      baseline: majorityBaseline(yTrain, yTest),
      testPositives: yTest.filter(Boolean).length,
      testPositions: yTest.length,
    };
    results.push({
      label: plan.label,
      model: plan.model.dir,
      source: plan.spec.source,
      hook: plan.hook,
      sae: plan.sae?.dir ?? null,
      inputs: inputs.d,
      trainPositions: yTrain.length,
      trainPositives: yTrain.filter(Boolean).length,
      trainAccuracy: accuracy(predictLogistic(model, designs.train), yTrain, 0.5, `the training scores of probe ${plan.label}`),
      iterations: model.iterations,
      converged: model.converged,
      ...partial,
      verdict: probeVerdict(plan.label, partial),
    });
    if (!model.converged) ctx.log('warn', `Probe ${plan.label} stopped after ${model.iterations} iterations without reaching the gradient tolerance.`);
  }
  ctx.progress(1, 'done');
  return {
    ...(await artifactEnvelope('probe', { started, executionProvider, params, slice, inputs: plans.flatMap((p) => [{ role: 'model' as const, root: p.model.dir }, ...(p.sae ? [{ role: 'sae' as const, root: p.sae.dir }] : [])]) })),
    condition: condition!,
    trainDocuments: split.train.map((d) => slice.documents[d].document),
    testDocuments: split.test.map((d) => slice.documents[d].document),
    probes: results,
  };
}
