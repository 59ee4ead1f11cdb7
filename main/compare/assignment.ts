/**
 * One-to-one matching of A and B features that maximises the total score over the candidate
 * pairs (Hungarian-type assignment, solved by mljs' linear-sum-assignment, a Jonker-Volgenant
 * shortest augmenting path solver). The candidate graph splits into connected components that
 * are solved separately (the optimum over the candidates is the union of the components'
 * optima); a component too large for a dense solve has its weakest edges pruned until it splits,
 * so the result is exact over the candidates that remain, and says so.
 */
import { linearSumAssignment } from 'linear-sum-assignment';
import type { Candidate } from './featureMatching';

/** Largest side of a component solved densely (a 600 x 600 solve takes well under a second). */
export const MAX_COMPONENT = 600;

export interface Assignment {
  /** Per B feature: its A partner, or -1. */
  partnerOfB: Int32Array;
  /** Candidate edges dropped to split oversized components (0 when the solve is exact). */
  prunedEdges: number;
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(x: number): number {
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]];
      x = this.parent[x];
    }
    return x;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[ra] = rb;
  }
}

/** Edges grouped by connected component (nodes: A features 0..dA-1, B features dA..dA+dB-1). */
function components(edges: Candidate[], dA: number, dB: number): Candidate[][] {
  const uf = new UnionFind(dA + dB);
  for (const e of edges) uf.union(e.a, dA + e.b);
  const groups = new Map<number, Candidate[]>();
  for (const e of edges) {
    const root = uf.find(e.a);
    const g = groups.get(root);
    if (g) g.push(e);
    else groups.set(root, [e]);
  }
  return [...groups.values()];
}

function solveComponent(edges: Candidate[], partnerOfB: Int32Array): void {
  const as = [...new Set(edges.map((e) => e.a))];
  const bs = [...new Set(edges.map((e) => e.b))];
  const rowOf = new Map(as.map((a, i) => [a, i]));
  const colOf = new Map(bs.map((b, j) => [b, j]));
  const matrix = as.map(() => new Array<number>(bs.length).fill(0));
  for (const e of edges) matrix[rowOf.get(e.a)!][colOf.get(e.b)!] = e.score;
  const { rowAssignments } = linearSumAssignment(matrix, { maximaze: true });
  rowAssignments.forEach((col, row) => {
    // A pair with no candidate edge (score 0) is "no partner", not a match.
    if (col >= 0 && matrix[row][col] > 0) partnerOfB[bs[col]] = as[row];
  });
}

export function assignOneToOne(candidates: Candidate[], dA: number, dB: number): Assignment {
  const partnerOfB = new Int32Array(dB).fill(-1);
  let pruned = 0;
  const pending = components(
    candidates.filter((c) => c.score > 0),
    dA,
    dB,
  );
  while (pending.length > 0) {
    const edges = pending.pop()!;
    const size = Math.max(new Set(edges.map((e) => e.a)).size, new Set(edges.map((e) => e.b)).size);
    if (size <= MAX_COMPONENT) {
      solveComponent(edges, partnerOfB);
      continue;
    }
    // Too large to solve densely: drop the weaker half of its edges and split again.
    const sorted = [...edges].sort((x, y) => y.score - x.score);
    const keep = sorted.slice(0, Math.max(1, Math.floor(sorted.length / 2)));
    pruned += sorted.length - keep.length;
    pending.push(...components(keep, dA, dB));
  }
  return { partnerOfB, prunedEdges: pruned };
}
