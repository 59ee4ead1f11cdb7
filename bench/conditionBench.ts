/**
 * Token-condition masks over the demo corpus (3,000 step-structured documents, tokenized as an
 * index stores them): positions per second of `compileCondition(spec).mask` for the specs users
 * write, against a floor that evaluates the same regexes with V8's backtracking RegExp (what
 * conditions used before they moved to the linear-time RE2 engine). The ratio is what bounded
 * cost costs on the diff, metric and probe paths.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileCondition, CONTEXT_CHARS, type ConditionDocument } from '../main/conditions/tokenCondition';
import { sharedDemoBundle } from '../main/testing/sharedDemoBundle';
import { loadTokenizer } from '../main/tokenize/tokenizer';
import { timeInterleaved } from './timing';

const SPECS = ['token-regex:^Step$', 'context-regex:\\nStep \\d+:$', 'context-regex:Step \\d+:$', 'context-regex:(^|\\n)$', 'context-regex:(^|\\n)$ && token-regex:^Step$', 'token-regex:^[A-Z][a-z]+$ && position:>3'];

/** The pre-RE2 evaluation of regex clauses (native RegExp, `u` flag), for regex-only specs. */
function nativeMask(spec: string): (doc: ConditionDocument) => Uint8Array {
  const tests = spec.split(' && ').map((part) => {
    const colon = part.indexOf(':');
    const [kind, body] = [part.slice(0, colon), part.slice(colon + 1)];
    if (kind === 'position') {
      const n = Number(body.slice(1));
      return (_doc: ConditionDocument, mask: Uint8Array) => mask.fill(0, 0, Math.min(n + 1, mask.length));
    }
    const re = new RegExp(body, 'u');
    if (kind === 'token-regex') {
      return (doc: ConditionDocument, mask: Uint8Array) => {
        for (let p = 0; p < mask.length; p++) if (mask[p] && !re.test(doc.texts[p].trim())) mask[p] = 0;
      };
    }
    return (doc: ConditionDocument, mask: Uint8Array) => {
      let before = '';
      for (let p = doc.bos ? 1 : 0; p < mask.length; p++) {
        if (mask[p] && !re.test(before)) mask[p] = 0;
        before = (before + doc.texts[p]).slice(-CONTEXT_CHARS);
      }
    };
  });
  return (doc) => {
    const mask = new Uint8Array(doc.texts.length).fill(1);
    if (doc.bos) mask[0] = 0;
    for (const t of tests) t(doc, mask);
    return mask;
  };
}

function demoDocuments(): ConditionDocument[] {
  const bundle = sharedDemoBundle();
  const tokenizer = loadTokenizer(path.dirname(bundle.tokenizer));
  const lines = fs.readFileSync(bundle.dataset, 'utf8').trim().split('\n');
  return lines.map((line) => {
    const ids = tokenizer.encode((JSON.parse(line) as { text: string }).text, { prependBos: true });
    return { ids, texts: tokenizer.tokenStrings(ids), bos: true };
  });
}

export async function conditionBench(): Promise<string[]> {
  const docs = demoDocuments();
  const positions = docs.reduce((s, d) => s + d.texts.length - 1, 0);
  const lines = [`condition masks: ${docs.length} demo documents, ${positions} positions; RE2 (compileCondition) vs native RegExp floor`];
  for (const spec of SPECS) {
    const re2 = compileCondition(spec);
    const native = nativeMask(spec);
    let agree = true;
    for (const d of docs.slice(0, 200)) if (re2.mask(d).join() !== native(d).join()) agree = false;
    const [tRe2, tNative] = await timeInterleaved(
      [async () => docs.forEach((d) => re2.mask(d)), async () => docs.forEach((d) => native(d))],
      { warmup: 1, reps: 5 },
    );
    const rate = (ms: number) => `${((positions / ms) * 1000 / 1e6).toFixed(2)}M pos/s`;
    lines.push(`  ${spec.padEnd(46)} RE2 ${tRe2.best.toFixed(0).padStart(5)} ms (${rate(tRe2.best)}), native ${tNative.best.toFixed(0).padStart(5)} ms (${rate(tNative.best)}): ${(tRe2.best / tNative.best).toFixed(2)}x${agree ? '' : '  MASKS DIFFER'}`);
  }
  return lines;
}
