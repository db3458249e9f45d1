/**
 * A Merkle tree over the ordered usage-record ids of a statement line, so a party can check that one
 * record is included without receiving the others. Leaves and nodes are domain-separated
 * (0x00 / 0x01 prefixes) so a node can never pass for a leaf; an odd node is promoted unchanged.
 */
import { createHash } from 'node:crypto';

const sha256 = (...parts: (string | Buffer)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const leaf = (id: string) => sha256(Buffer.from([0]), id);
const node = (l: Buffer, r: Buffer) => sha256(Buffer.from([1]), l, r);

export const EMPTY_ROOT = sha256('').toString('hex');

function levels(ids: readonly string[]): Buffer[][] {
  let level: Buffer[] = ids.map(leaf);
  const out = [level];
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? node(level[i]!, level[i + 1]!) : level[i]!);
    out.push(next);
    level = next;
  }
  return out;
}

export function merkleRoot(ids: readonly string[]): string {
  if (ids.length === 0) return EMPTY_ROOT;
  return levels(ids).at(-1)![0]!.toString('hex');
}

export interface InclusionProof {
  readonly recordId: string;
  readonly index: number;
  readonly count: number;
  /** sibling hashes from the leaf up; `side` says where the sibling sits */
  readonly path: readonly { readonly side: 'left' | 'right'; readonly hash: string }[];
  readonly root: string;
}

export function proveInclusion(ids: readonly string[], recordId: string): InclusionProof | null {
  const index = ids.indexOf(recordId);
  if (index < 0) return null;
  const all = levels(ids);
  const path: { side: 'left' | 'right'; hash: string }[] = [];
  let i = index;
  for (const level of all.slice(0, -1)) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < level.length)
      path.push({ side: i % 2 === 0 ? 'right' : 'left', hash: level[sibling]!.toString('hex') });
    i = Math.floor(i / 2);
  }
  return { recordId, index, count: ids.length, path, root: all.at(-1)![0]!.toString('hex') };
}

export function verifyInclusion(proof: InclusionProof, expectedRoot: string): boolean {
  let h = leaf(proof.recordId);
  for (const step of proof.path) {
    const sibling = Buffer.from(step.hash, 'hex');
    h = step.side === 'right' ? node(h, sibling) : node(sibling, h);
  }
  return h.toString('hex') === expectedRoot && proof.root === expectedRoot;
}
