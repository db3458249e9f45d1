import { describe, expect, it } from 'vitest';
import { merkleRoot, proveInclusion } from '@federa/settlement';
import { checkInclusion } from './merkle-proof';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `tenant-a/rec-${String(i).padStart(4, '0')}`);

describe('checkInclusion (WebCrypto) agrees with packages/settlement', () => {
  it.each([1, 2, 3, 5, 8, 13])('verifies every record of a %i-record line', async (n) => {
    const refs = ids(n);
    const root = merkleRoot(refs);
    for (const ref of refs) {
      const proof = proveInclusion(refs, ref)!;
      const check = await checkInclusion(proof, root);
      expect(check).toMatchObject({ included: true, computedRoot: root });
    }
  });

  it('refuses a proof for another record, a changed sibling, or another line root', async () => {
    const refs = ids(6);
    const root = merkleRoot(refs);
    const proof = proveInclusion(refs, refs[2]!)!;
    expect((await checkInclusion({ ...proof, recordId: 'tenant-a/forged' }, root)).included).toBe(false);
    const flipped = proof.path.map((s, i) =>
      i === 0 ? { ...s, hash: (s.hash[0] === '0' ? '1' : '0') + s.hash.slice(1) } : s,
    );
    expect((await checkInclusion({ ...proof, path: flipped }, root)).included).toBe(false);
    const swapped = proof.path.map((s) => ({
      ...s,
      side: s.side === 'left' ? ('right' as const) : ('left' as const),
    }));
    expect((await checkInclusion({ ...proof, path: swapped }, root)).included).toBe(false);
    expect((await checkInclusion(proof, merkleRoot(ids(7)))).included).toBe(false);
  });

  it('does not trust the root the proof carries', async () => {
    const refs = ids(4);
    const proof = proveInclusion(refs, refs[1]!)!;
    const other = merkleRoot(ids(5));
    expect((await checkInclusion({ ...proof, root: other }, other)).included).toBe(false);
  });

  it('rejects a path hash that is not hex', async () => {
    const refs = ids(2);
    const proof = proveInclusion(refs, refs[0]!)!;
    await expect(
      checkInclusion({ ...proof, path: [{ side: 'right', hash: 'zz' }] }, merkleRoot(refs)),
    ).rejects.toThrow(/not a hex hash/);
  });
});
