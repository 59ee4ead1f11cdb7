/**
 * Abuse class "backtracking regexes" (issue 16): randomised patterns that make a backtracking
 * engine run for hours (nested quantifiers, overlapping alternations, bounded repetitions of
 * optional atoms, long patterns), plus the constructs RE2 refuses, sent as token conditions to a
 * served core: compare.previewCondition over long documents (the whole 400-character context
 * window), and the same pattern saved with compare.saveCondition and previewed as named:. While
 * each request runs and after it, /health must answer within 2 s; every answer must be a result,
 * CONDITION_INVALID or CONDITION_TOO_COSTLY, in bounded time.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ConditionPreview, JobView } from '../../../preload/api';
import { FIXTURE_WORDS, writeExperimentFixture } from '../../experiments/testing/experimentFixture';
import { SeededRandom } from '../../random/seededRandom';
import { isHealthy } from '../rawSockets';
import { ApiSocket, type AbuseReport, type ServedCore } from '../serverAbuse';
import { servedCall, waitForServedJob } from './servedCalls';

/** How long /health may take while and after a case runs. */
export const HEALTH_BUDGET_MS = 2000;
/** The longest a condition request may take: the preview's 1 s budget plus the reading around it. */
const ANSWER_BUDGET_MS = 5000;

const ATOMS = ['a', 'e', ' ', '\\w', '\\s', '\\S', '[\\s\\S]', '.', '\\d', '[a-z]', '(?:the|then)', '(?:a|ab)', 'Step', '\\pL'];

/** One pattern of the kinds that backtrack catastrophically, or one RE2 refuses. */
export function backtrackingPattern(rng: SeededRandom): string {
  const atom = () => rng.pick(ATOMS);
  const count = (max: number) => 1 + rng.int(max);
  const shapes: (() => string)[] = [
    () => `(${atom()}+)+`,
    () => `(${atom()}*)*`,
    () => `(?:${atom()}|${atom()})*`,
    () => `(${atom()}|${atom()}${atom()})+`,
    () => `(?:${atom()}+${atom()}+)+`,
    () => `(${atom()}+\\s?)+`,
    () => `(${atom()}?){${count(30)}}${atom()}{${count(30)}}`,
    () => `(.*${atom()}){${count(12)}}`,
    () => `(?:${atom()}{1,${count(40)}}){1,${count(20)}}`,
    // Blows up a DFA (2^n states): the NFA fallback costs (text x program) per position.
    () => `[\\s\\S]*${atom()}[\\s\\S]{${count(900)}}`,
  ];
  let p = rng.next() < 0.5 ? '^' : '';
  for (let i = count(4); i > 0; i--) p += rng.pick(shapes)();
  p += rng.pick(['!$', '$', 'x', '\\d!', '', '[^\\s\\S]']);
  const r = rng.next();
  if (r < 0.05) p = p.repeat(Math.ceil(1100 / p.length)); // over the length limit
  else if (r < 0.1) p = `(${p})\\1`; // backreference
  else if (r < 0.15) p = `${p}(?=${atom()})`; // lookahead
  else if (r < 0.2) p = `(?<!${atom()})${p}`; // lookbehind
  else if (r < 0.25) p = `${p}(?:${atom()}{${900 + rng.int(200)}})`; // huge repetition
  return p;
}

/** The fixture model and SAE, and documents long enough to fill the context window; indexed by the served core. */
export async function prepareConditionIndex(server: ServedCore, socket: ApiSocket, root: string): Promise<string> {
  const fx = writeExperimentFixture(path.join(root, 'fixture'));
  const rng = new SeededRandom(17);
  const dataset = path.join(root, 'long.jsonl');
  // Eight documents of a few hundred characters and one of ~10,000 (2,000 words, each position's context a full window).
  const lengths = [...Array.from({ length: 8 }, () => 80 + rng.int(60)), 2000];
  fs.writeFileSync(dataset, lengths.map((n) => JSON.stringify({ text: Array.from({ length: n }, () => rng.pick(FIXTURE_WORDS)).join(' ') })).join('\n') + '\n');
  const queued = await servedCall(socket, 'index.build', { modelPath: fx.model, saePaths: [fx.sae], datasetPath: dataset, device: 'cpu', topN: 5 });
  if (!queued?.ok) throw new Error(`index.build was refused: ${JSON.stringify(queued?.error)}`);
  const done = await waitForServedJob(socket, (queued.result as JobView).id);
  if (done?.state !== 'completed') throw new Error(`the condition index did not build: ${JSON.stringify(done?.error)}\n${server.output().slice(-2000)}`);
  return (done.result as { indexIds: string[] }).indexIds[0];
}

const EXPECTED = new Set(['ok', 'CONDITION_INVALID', 'CONDITION_TOO_COSTLY']);

export async function runRegexAbuse(server: ServedCore, root: string, plan: { seed: number; cases: number }, report: AbuseReport, onProgress?: (done: number) => void): Promise<void> {
  const rng = new SeededRandom(plan.seed);
  let socket = await ApiSocket.open(server.port, server.token);
  const indexId = await prepareConditionIndex(server, socket, root);
  try {
    for (let i = 0; i < plan.cases; i++) {
      if (!socket.open) socket = await ApiSocket.open(server.port, server.token);
      const pattern = backtrackingPattern(rng);
      const spec = `${rng.next() < 0.75 ? 'context-regex' : 'token-regex'}:${pattern}`;
      const named = rng.next() < 0.3;
      const category = named ? 'regex: saved named: conditions' : 'regex: condition previews';
      const t0 = Date.now();
      let failure: string | undefined;
      // Health is asked while the request runs: a core busy on its main thread would not answer.
      const during = new Promise<number>((resolve) => setTimeout(() => void isHealthy(server.port, HEALTH_BUDGET_MS).then((ok) => resolve(ok ? 0 : 1)), 50));
      const answer = await (async () => {
        if (!named) return servedCall(socket, 'compare.previewCondition', { indexId, spec, documents: 1 + rng.int(50) }, 60_000);
        const name = `abuse-${i % 8}`;
        const saved = await servedCall(socket, 'compare.saveCondition', { name, spec, description: 'abuse suite' }, 60_000);
        if (!saved?.ok) return saved;
        return servedCall(socket, 'compare.previewCondition', { indexId, spec: `named:${name}`, documents: 1 + rng.int(50) }, 60_000);
      })();
      const ms = Date.now() - t0;
      const outcome = answer ? (answer.ok ? 'ok' : (answer.error?.code ?? '?')) : 'no reply';
      if (!EXPECTED.has(outcome)) failure = `${outcome} for ${spec.slice(0, 160)}${answer?.error ? `: ${answer.error.message.slice(0, 200)}` : ''}`;
      else if (ms > ANSWER_BUDGET_MS) failure = `took ${ms} ms for ${spec.slice(0, 160)}`;
      else if (answer?.ok && named && !(answer.result as ConditionPreview).spec.startsWith(spec)) failure = `named:abuse-${i % 8} previewed as ${(answer.result as ConditionPreview).spec.slice(0, 80)}`;
      if (!failure && (await during)) failure = `/health did not answer within ${HEALTH_BUDGET_MS} ms while ${spec.slice(0, 120)} ran`;
      report.healthChecks++;
      if (!failure && !(await isHealthy(server.port, HEALTH_BUDGET_MS))) failure = `/health did not answer within ${HEALTH_BUDGET_MS} ms after ${spec.slice(0, 120)}`;
      report.record(category, outcome, ms, failure);
      onProgress?.(report.cases);
    }
  } finally {
    socket.close();
  }
}
