/**
 * Token conditions: which positions of a tokenized document a question is about ("step-onset
 * tokens"). One spec language serves the condition diff, experiment metrics and probes:
 *
 *   token-regex:<re>     the token's text (leading/trailing whitespace trimmed) matches <re>
 *   context-regex:<re>   the document text before the token (its last CONTEXT_CHARS characters,
 *                        BOS excluded) matches <re>; e.g. `\nStep \d+:$`
 *   ids:<id>,<id>,...    the token id is one of these
 *   position:<rule>      the position (BOS = 0 when prepended) satisfies <rule>: `N`, `<N`,
 *                        `<=N`, `>N`, `>=N`, `A-B` (inclusive), or `first` (first non-BOS token)
 *   named:<name>         a saved condition (resolved by the caller's store)
 *
 * Specs joined by ` && ` must all hold; the BOS position never matches any condition (BOS is
 * excluded from statistics everywhere).
 *
 * Regexes use RE2 syntax and match in linear time (./linearRegex.ts): no backreferences, lookahead
 * or lookbehind (refused by name), `\uXXXX` and JavaScript's `\s` accepted, matched over code
 * points. So a condition costs at most (positions x CONTEXT_CHARS x MAX_PROGRAM_SIZE) steps
 * wherever it runs (diff, metrics, probes, previews), whatever regex a user or a saved condition
 * brings; where even that is too long for the caller (the core's main thread), a ConditionBudget
 * stops the evaluation with CONDITION_TOO_COSTLY.
 */
import { WorkbenchError } from '../errors';
import { compileLinearRegex, RegexRefusal, RE2_SYNTAX_NOTE, type LinearRegex } from './linearRegex';

/** How far back a context regex sees: long enough for a line, bounded so matching stays linear. */
export const CONTEXT_CHARS = 400;

export type ConditionClause =
  | { kind: 'token-regex'; pattern: string }
  | { kind: 'context-regex'; pattern: string }
  | { kind: 'ids'; ids: number[] }
  | { kind: 'position'; rule: string }
  | { kind: 'named'; name: string };

/** What a condition sees of a document: its token ids and their display strings, in order. */
export interface ConditionDocument {
  ids: ArrayLike<number>;
  texts: readonly string[];
  /** Whether position 0 is a BOS token the model was given. */
  bos: boolean;
}

export interface CompiledCondition {
  /** The spec with named conditions expanded: what an export records. */
  spec: string;
  /** 1 where the condition holds, per position of the document; `budget` stops it when spent. */
  mask(doc: ConditionDocument, budget?: ConditionBudget): Uint8Array;
}

/**
 * A wall-clock allowance for evaluating a condition where a long evaluation would stall other
 * work (the core's main thread answers every client). Jobs and the CLI evaluate without one:
 * their cost is bounded anyway, and their results must not depend on the machine's speed.
 */
export class ConditionBudget {
  private readonly deadline: number;

  constructor(
    private readonly ms: number,
    /** What is evaluated, for the message: "previewing a condition". */
    private readonly doing: string,
  ) {
    this.deadline = performance.now() + ms;
  }

  /** Throws CONDITION_TOO_COSTLY once the allowance is spent. */
  check(spec: string): void {
    if (performance.now() <= this.deadline) return;
    throw new WorkbenchError(
      'CONDITION_TOO_COSTLY',
      `The token condition "${spec}" took more than ${this.ms} ms ${this.doing}, the most this may take.`,
      'Simplify its regexes (fewer and smaller repetitions, a literal word they must contain), or look at fewer documents.',
    );
  }
}

/** Distinct token strings a token-regex clause remembers its answer for (a large vocabulary's worth). */
const TOKEN_MEMO_LIMIT = 300_000;

/** How many positions a regex clause tests between two looks at the budget's clock. */
const BUDGET_STRIDE = 16;

const KINDS = ['token-regex', 'context-regex', 'ids', 'position', 'named'] as const;

function badSpec(spec: string, why: string): WorkbenchError {
  return new WorkbenchError(
    'CONDITION_INVALID',
    `The token condition "${spec}" is not valid: ${why}.`,
    'Write token-regex:<re>, context-regex:<re>, ids:<id,...>, position:<N|<N|>=N|A-B|first> or named:<name>; join clauses with " && ".',
  );
}

export function parseCondition(spec: string): ConditionClause[] {
  const trimmed = spec.trim();
  if (!trimmed) throw badSpec(spec, 'it is empty');
  return trimmed.split(' && ').map((part) => {
    const colon = part.indexOf(':');
    const kind = colon < 0 ? part : part.slice(0, colon);
    const body = colon < 0 ? '' : part.slice(colon + 1);
    if (!(KINDS as readonly string[]).includes(kind)) throw badSpec(spec, `"${kind}" is not a kind of condition (${KINDS.join(', ')})`);
    if (body.length === 0) throw badSpec(spec, `${kind} needs a value after the colon`);
    switch (kind as (typeof KINDS)[number]) {
      case 'token-regex':
      case 'context-regex':
        compileRegex(body, spec);
        return { kind: kind as 'token-regex' | 'context-regex', pattern: body };
      case 'ids': {
        const items = body.split(',').map((s) => s.trim());
        // Number('') is 0: an empty item ("ids:5," or "ids:5,,9") must not slip in token 0.
        const ids = items.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
        if (ids.some((n) => !Number.isSafeInteger(n))) throw badSpec(spec, 'ids must be non-negative integers separated by commas');
        return { kind: 'ids', ids };
      }
      case 'position':
        positionTest(body, spec);
        return { kind: 'position', rule: body.trim() };
      case 'named':
        return { kind: 'named', name: body.trim() };
    }
  });
}

function compileRegex(pattern: string, spec: string): LinearRegex {
  try {
    return compileLinearRegex(pattern);
  } catch (err) {
    if (!(err instanceof RegexRefusal)) throw err;
    throw new WorkbenchError('CONDITION_INVALID', `The token condition "${spec}" is not valid: the regex "${pattern}" ${err.message}.`, `${RE2_SYNTAX_NOTE}; see https://github.com/google/re2/wiki/Syntax.`);
  }
}

/** A test on (position, first non-BOS position). */
function positionTest(rule: string, spec: string): (p: number, first: number) => boolean {
  const r = rule.trim();
  if (r === 'first') return (p, first) => p === first;
  let m = /^(<=|>=|<|>|=)?\s*(\d+)$/.exec(r);
  if (m) {
    const n = Number(m[2]);
    switch (m[1]) {
      case '<':
        return (p) => p < n;
      case '<=':
        return (p) => p <= n;
      case '>':
        return (p) => p > n;
      case '>=':
        return (p) => p >= n;
      default:
        return (p) => p === n;
    }
  }
  m = /^(\d+)\s*-\s*(\d+)$/.exec(r);
  if (m) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    if (a > b) throw badSpec(spec, `the position range ${r} is empty`);
    return (p) => p >= a && p <= b;
  }
  throw badSpec(spec, `"${r}" is not a position rule`);
}

/**
 * Compile a spec. `resolveNamed` maps a saved condition's name to its spec (it may itself use
 * `&&`, but not other named conditions).
 */
export function compileCondition(spec: string, resolveNamed: (name: string) => string | null = () => null): CompiledCondition {
  const clauses = parseCondition(spec).flatMap((c) => {
    if (c.kind !== 'named') return [c];
    const saved = resolveNamed(c.name);
    if (saved === null) throw new WorkbenchError('CONDITION_UNKNOWN', `There is no saved condition named "${c.name}".`, 'Save it first, or write the condition out (e.g. token-regex:^Step$).');
    const inner = parseCondition(saved);
    if (inner.some((i) => i.kind === 'named')) throw badSpec(spec, `the saved condition "${c.name}" refers to another named condition`);
    return inner;
  });
  const expanded = clauses.map(clauseText).join(' && ');
  // The clauses all must hold, so their order is free: the costly context regexes go last and
  // test only the positions the others left standing.
  const costOrder = (c: ConditionClause) => (c.kind === 'context-regex' ? 1 : 0);
  const tests = [...clauses].sort((x, y) => costOrder(x) - costOrder(y)).map((c) => clauseTest(c, expanded));
  return {
    spec: expanded,
    mask(doc, budget) {
      const n = doc.texts.length;
      const mask = new Uint8Array(n).fill(1);
      if (doc.bos && n > 0) mask[0] = 0;
      const tick = budget ? (p: number) => p % BUDGET_STRIDE === 0 && budget.check(expanded) : () => {};
      for (const t of tests) t(doc, mask, tick);
      return mask;
    },
  };
}

function clauseText(c: ConditionClause): string {
  switch (c.kind) {
    case 'token-regex':
    case 'context-regex':
      return `${c.kind}:${c.pattern}`;
    case 'ids':
      return `ids:${c.ids.join(',')}`;
    case 'position':
      return `position:${c.rule}`;
    case 'named':
      return `named:${c.name}`;
  }
}

/** Clears the positions where a clause fails; regex clauses call `tick(p)` as they go. */
type MaskTest = (doc: ConditionDocument, mask: Uint8Array, tick: (p: number) => void) => void;

function clauseTest(c: ConditionClause, spec: string): MaskTest {
  switch (c.kind) {
    case 'token-regex': {
      const re = compileRegex(c.pattern, spec);
      // A vocabulary has a few thousand distinct token strings; a corpus repeats them millions of times.
      const seen = new Map<string, boolean>();
      const holds = (text: string) => {
        let v = seen.get(text);
        if (v === undefined) {
          if (seen.size >= TOKEN_MEMO_LIMIT) seen.clear();
          v = re.test(text.trim());
          seen.set(text, v);
        }
        return v;
      };
      return (doc, mask, tick) => {
        for (let p = 0; p < mask.length; p++) {
          tick(p);
          if (mask[p] && !holds(doc.texts[p])) mask[p] = 0;
        }
      };
    }
    case 'context-regex': {
      const re = compileRegex(c.pattern, spec);
      return (doc, mask, tick) => {
        // The text before position p: the tokens' strings from the first non-BOS token to p - 1.
        let before = '';
        for (let p = doc.bos ? 1 : 0; p < mask.length; p++) {
          tick(p);
          if (mask[p] && !re.test(before)) mask[p] = 0;
          before = (before + doc.texts[p]).slice(-CONTEXT_CHARS);
        }
        if (doc.bos && mask.length > 0) mask[0] = 0;
      };
    }
    case 'ids': {
      const set = new Set(c.ids);
      return (doc, mask) => {
        for (let p = 0; p < mask.length; p++) if (mask[p] && !set.has(doc.ids[p])) mask[p] = 0;
      };
    }
    case 'position': {
      const test = positionTest(c.rule, spec);
      return (doc, mask) => {
        const first = doc.bos ? 1 : 0;
        for (let p = 0; p < mask.length; p++) if (mask[p] && !test(p, first)) mask[p] = 0;
      };
    }
    case 'named':
      throw badSpec(spec, 'named conditions must be resolved first');
  }
}
