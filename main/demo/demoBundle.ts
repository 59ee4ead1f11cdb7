import fs from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { writeGpt2Directory } from '../formats/models/gpt2Writer';
import { writeSafetensors } from '../formats/safetensors';
import { fitBigram } from './bigramModel';
import { generateCorpus } from './corpus';
import { buildDemoModels, DEFAULT_DEMO_MODEL_SPEC } from './demoModels';
import { buildDemoSae, writeDemoSae, type DemoSae } from './demoSae';
import { measureGroundTruth, type GroundTruthFigures } from './groundTruth';
import { buildVocabulary, encodeWords, tokenizerConfigJson, tokenizerJson } from './wordTokenizer';

/**
 * The demo bundle: two tiny GPT-2 models ("standard", "adhd") with a planted layer-2 mechanism,
 * their word-level tokenizer, a synthetic step-structured dataset, one constructed TopK SAE per
 * model, the planted direction and measured ground-truth figures. Deterministic for a given
 * version: regenerating yields the same bytes. resources/demo/README.md documents it.
 */
export const DEMO_BUNDLE_VERSION = 1;
export const DEMO_SEED = 1234;
const DOCUMENTS = 3000;
/** Held-out documents (never used for the bigram statistics) on which the figures are measured. */
const HELD_OUT = 200;
const SAE_SAMPLE = 24;
const FIGURE_SAMPLE = 40;
const MANIFEST = 'bundle.json';

export interface DemoBundlePaths {
  root: string;
  tokenizer: string;
  dataset: string;
  models: { standard: string; adhd: string };
  saes: { standard: string; adhd: string };
  plantedDirection: string;
  groundTruth: string;
}

export interface DemoGroundTruth {
  version: number;
  seed: number;
  hookName: string;
  layer: number;
  neuron: number;
  stepToken: string;
  stepTokenId: number;
  targetToken: string;
  targetTokenId: number;
  /** Unit vector [dModel] as numbers (also in planted_direction.safetensors as "direction"). */
  direction: number[];
  /** Index of the planted feature in the adhd SAE. */
  adhdSaePlantedFeature: number;
  vocabSize: number;
  documents: number;
  heldOutDocuments: number;
  figures: GroundTruthFigures;
}

export function demoBundlePaths(root: string): DemoBundlePaths {
  return {
    root,
    tokenizer: path.join(root, 'tokenizer.json'),
    dataset: path.join(root, 'dataset.jsonl'),
    models: { standard: path.join(root, 'models', 'standard'), adhd: path.join(root, 'models', 'adhd') },
    saes: {
      standard: path.join(root, 'saes', 'standard', 'blocks.2.hook_resid_post'),
      adhd: path.join(root, 'saes', 'adhd', 'blocks.2.hook_resid_post'),
    },
    plantedDirection: path.join(root, 'planted_direction.safetensors'),
    groundTruth: path.join(root, 'ground_truth.json'),
  };
}

/** Where the bundle lives in a data directory. */
export function demoBundleDir(home: string): string {
  return path.join(home, 'demo', `v${DEMO_BUNDLE_VERSION}`);
}

/** The bundle under `home`, generated on first use (a few seconds); later calls only check the manifest. */
export function ensureDemoBundle(home: string): DemoBundlePaths {
  const root = demoBundleDir(home);
  if (isComplete(root)) return demoBundlePaths(root);
  return writeDemoBundle(root);
}

/** The bundle's paths when a complete one is already in `home`, else null (nothing is generated). */
export function readyDemoBundle(home: string): DemoBundlePaths | null {
  const root = demoBundleDir(home);
  return isComplete(root) ? demoBundlePaths(root) : null;
}

function isComplete(root: string): boolean {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(root, MANIFEST), 'utf8')) as { version?: number };
    return m.version === DEMO_BUNDLE_VERSION;
  } catch {
    return false;
  }
}

/**
 * Generate the bundle into `outDir`: built in a sibling temp folder, then renamed into place, so
 * an interrupted run never leaves a half bundle that looks complete.
 */
export function writeDemoBundle(outDir: string): DemoBundlePaths {
  const root = path.resolve(outDir);
  const tmp = `${root}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.mkdirSync(path.dirname(root), { recursive: true });
    generateInto(tmp);
    fs.rmSync(root, { recursive: true, force: true });
    fs.renameSync(tmp, root);
  } catch (err) {
    removeQuietly(tmp);
    if (err instanceof WorkbenchError) throw err;
    throw new WorkbenchError(
      'DEMO_BUNDLE_WRITE',
      `Cannot write the demo bundle to ${root}: ${(err as Error).message}`,
      'Check that the folder is writable and the disk has a few MB free, or pass another --out.',
      { cause: err },
    );
  }
  return demoBundlePaths(root);
}

/** Best-effort cleanup that never hides the original error (the parent may not even be a folder). */
function removeQuietly(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // The original error explains what went wrong; nothing was written here.
  }
}

export interface DemoArtifacts {
  documents: ReturnType<typeof generateCorpus>;
  vocab: ReturnType<typeof buildVocabulary>;
  models: ReturnType<typeof buildDemoModels>;
  saes: { standard: DemoSae; adhd: DemoSae };
  truth: DemoGroundTruth;
}

/** Everything the bundle holds, in memory (the files are a serialisation of this). */
export function buildDemoArtifacts(): DemoArtifacts {
  const docs = generateCorpus(DOCUMENTS, DEMO_SEED);
  const vocab = buildVocabulary(docs.map((d) => d.text));
  const ids = docs.map((d) => encodeWords(vocab, d.text));
  const train = ids.slice(0, DOCUMENTS - HELD_OUT);
  const heldOut = ids.slice(DOCUMENTS - HELD_OUT);
  const bigram = fitBigram(train, vocab.tokens.length);
  const models = buildDemoModels(bigram, vocab.tokens, DEFAULT_DEMO_MODEL_SPEC);
  const saeSample = train.slice(0, SAE_SAMPLE);
  const saes = {
    standard: buildDemoSae({ model: models.standard, hookLayer: models.planted.layer, vocab: vocab.tokens, basis: models.basis, sampleDocuments: saeSample, planted: null, seed: DEMO_SEED + 1 }),
    adhd: buildDemoSae({ model: models.adhd, hookLayer: models.planted.layer, vocab: vocab.tokens, basis: models.basis, sampleDocuments: saeSample, planted: models.planted.direction, seed: DEMO_SEED + 1 }),
  };
  const truth: DemoGroundTruth = {
    version: DEMO_BUNDLE_VERSION,
    seed: DEMO_SEED,
    hookName: models.planted.hookName,
    layer: models.planted.layer,
    neuron: models.planted.neuron,
    stepToken: models.planted.stepToken,
    stepTokenId: models.planted.stepTokenId,
    targetToken: models.planted.targetToken,
    targetTokenId: models.planted.targetTokenId,
    direction: Array.from(models.planted.direction),
    adhdSaePlantedFeature: saes.adhd.plantedFeature!,
    vocabSize: vocab.tokens.length,
    documents: DOCUMENTS,
    heldOutDocuments: HELD_OUT,
    figures: measureGroundTruth(models, bigram, heldOut.slice(0, FIGURE_SAMPLE)),
  };
  return { documents: docs, vocab, models, saes, truth };
}

function generateInto(dir: string): void {
  const p = demoBundlePaths(dir);
  const { documents, vocab, models, saes, truth } = buildDemoArtifacts();
  fs.mkdirSync(dir, { recursive: true });
  const tok = `${JSON.stringify(tokenizerJson(vocab))}\n`;
  const tokConfig = `${JSON.stringify(tokenizerConfigJson(), null, 2)}\n`;
  fs.writeFileSync(p.tokenizer, tok);
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), tokConfig);
  fs.writeFileSync(p.dataset, documents.map((d) => JSON.stringify({ text: d.text })).join('\n') + '\n');
  for (const name of ['standard', 'adhd'] as const) {
    writeGpt2Directory(p.models[name], models[name], { extraConfig: { _name_or_path: `sae-workbench/${models[name].config.name}` } });
    // HF model directories carry their tokenizer, so each model loads on its own.
    fs.writeFileSync(path.join(p.models[name], 'tokenizer.json'), tok);
    fs.writeFileSync(path.join(p.models[name], 'tokenizer_config.json'), tokConfig);
  }
  writeDemoSae(p.saes.standard, saes.standard);
  writeDemoSae(p.saes.adhd, saes.adhd);
  writeSafetensors(
    p.plantedDirection,
    {
      direction: { dtype: 'F32', shape: [models.spec.dModel], data: Float32Array.from(models.planted.direction) },
      step_identity: { dtype: 'F32', shape: [models.spec.dModel], data: Float32Array.from(models.basis.stepIdentity) },
    },
    { hook_name: models.planted.hookName, step_token: models.planted.stepToken, target_token: models.planted.targetToken },
  );
  fs.writeFileSync(p.groundTruth, `${JSON.stringify(truth, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, MANIFEST), `${JSON.stringify({ version: DEMO_BUNDLE_VERSION, seed: DEMO_SEED, generator: 'main/demo/demoBundle.ts' }, null, 2)}\n`);
}
