/**
 * The statement-line Merkle tree (merkle.ts) built as the leaves stream past, in O(log n) memory:
 * only the stack of complete subtrees (sizes strictly decreasing powers of two) is kept. Because the
 * tree promotes an odd node unchanged, its shape is RFC 6962's, and folding the stack from the right
 * gives exactly `merkleRoot()` of the same leaves in the same order.
 *
 * With a target leaf index the builder is also a prover: whenever the subtree holding the target is
 * merged with a neighbour, that neighbour is the next sibling on the target's path, so an inclusion
 * proof falls out of one pass without holding the leaves.
 *
 * Digests are kept as one-byte strings (merkle-digest.ts), hex only in roots and proofs: the builder
 * runs once per usage record of a settlement run.
 */
import { EMPTY_ROOT, type InclusionProof, type ProofStep } from './merkle';
import { digestHex, leafDigest, nodeDigest, type Digest } from './merkle-digest';

interface Subtree {
  readonly digest: Digest;
  readonly size: number;
  /** holds the target leaf (proving only) */
  readonly target: boolean;
}

export class MerkleBuilder {
  private readonly stack: Subtree[] = [];
  private readonly path: ProofStep[] = [];
  private targetId: string | null = null;
  private targetAt = -1;
  count = 0;

  /** @param targetIndex the leaf to prove, when proving */
  constructor(private readonly targetIndex = -1) {}

  /** @param target this leaf is the one to prove (by default: the leaf at the constructor's index) */
  add(id: string, target = this.count === this.targetIndex): void {
    if (target) {
      this.targetId = id;
      this.targetAt = this.count;
    }
    this.count++;
    let top: Subtree = { digest: leafDigest(id), size: 1, target };
    for (let left = this.stack.at(-1); left && left.size === top.size; left = this.stack.at(-1)) {
      this.stack.pop();
      top = this.merge(left, top);
    }
    this.stack.push(top);
  }

  private merge(left: Subtree, right: Subtree): Subtree {
    if (left.target) this.path.push({ side: 'right', hash: digestHex(right.digest) });
    else if (right.target) this.path.push({ side: 'left', hash: digestHex(left.digest) });
    return {
      digest: nodeDigest(left.digest, right.digest),
      size: left.size + right.size,
      target: left.target || right.target,
    };
  }

  /** Fold the stack from the right: the smaller trailing subtrees hang under the larger ones. */
  private fold(): Subtree | null {
    let acc = this.stack.at(-1);
    if (!acc) return null;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = this.merge(this.stack[i]!, acc);
    return acc;
  }

  root(): string {
    const top = this.fold();
    return top ? digestHex(top.digest) : EMPTY_ROOT;
  }

  /** The proof for the target leaf; null when fewer leaves than its index were added. Call once. */
  proof(): InclusionProof | null {
    const top = this.fold();
    if (!top || this.targetId === null) return null;
    return {
      recordId: this.targetId,
      index: this.targetAt,
      count: this.count,
      path: this.path,
      root: digestHex(top.digest),
    };
  }
}
