import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, merkleRoot, proveInclusion, verifyInclusion } from './merkle';
import { MerkleBuilder } from './merkle-stream';

/** distinct ids, as record references are */
const idsArb = (max: number) =>
  fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: max });

const streamedRoot = (ids: readonly string[]) => {
  const b = new MerkleBuilder();
  for (const id of ids) b.add(id);
  return b.root();
};

describe('streaming Merkle builder', () => {
  it('gives the in-memory root for any leaves in the same order', () => {
    fc.assert(
      fc.property(idsArb(300), (ids) => {
        expect(streamedRoot(ids)).toBe(merkleRoot(ids));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the in-memory root at every size around powers of two', () => {
    const ids = Array.from({ length: 130 }, (_, i) => `t/${i}-0`);
    for (let n = 0; n <= ids.length; n++)
      expect(streamedRoot(ids.slice(0, n))).toBe(merkleRoot(ids.slice(0, n)));
    expect(streamedRoot([])).toBe(EMPTY_ROOT);
  });

  it('proves a leaf exactly as the in-memory prover, and the proof verifies', () => {
    fc.assert(
      fc.property(
        idsArb(200).filter((ids) => ids.length > 0),
        fc.nat(),
        (ids, pick) => {
          const index = pick % ids.length;
          const b = new MerkleBuilder(index);
          for (const id of ids) b.add(id);
          const proof = b.proof();
          expect(proof).toEqual(proveInclusion(ids, ids[index]!));
          expect(verifyInclusion(proof!, merkleRoot(ids))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a proof does not verify for another record or another root', () => {
    fc.assert(
      fc.property(
        idsArb(64).filter((ids) => ids.length > 1),
        fc.nat(),
        (ids, pick) => {
          const index = pick % ids.length;
          const b = new MerkleBuilder(index);
          for (const id of ids) b.add(id);
          const proof = b.proof()!;
          const other = ids[(index + 1) % ids.length]!;
          expect(verifyInclusion({ ...proof, recordId: other }, proof.root)).toBe(false);
          expect(verifyInclusion(proof, merkleRoot(ids.slice(1)))).toBe(false);
        },
      ),
    );
  });

  it('has no proof for an index past the leaves', () => {
    const b = new MerkleBuilder(3);
    for (const id of ['a', 'b', 'c']) b.add(id);
    expect(b.proof()).toBeNull();
  });
});
