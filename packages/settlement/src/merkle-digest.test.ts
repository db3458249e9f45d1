import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leafHash, nodeHash } from './merkle';
import { digestHex, leafDigest, nodeDigest } from './merkle-digest';

/** any UTF-16 code units, lone surrogates included: ids are hashed as UTF-8 either way */
const anyId = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const digestBytes = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b));

describe('Merkle digests as strings', () => {
  it('hash a leaf exactly as the Buffer reference does', () => {
    fc.assert(
      fc.property(fc.oneof(anyId, fc.string({ unit: 'binary' })), (id) => {
        expect(digestHex(leafDigest(id))).toBe(leafHash(id).toString('hex'));
      }),
      { numRuns: 2000 },
    );
  });

  it('hash a node exactly as the Buffer reference does, whatever bytes its children hold', () => {
    fc.assert(
      fc.property(digestBytes, digestBytes, (l, r) => {
        const digest = nodeDigest(l.toString('latin1'), r.toString('latin1'));
        expect(digestHex(digest)).toBe(nodeHash(l, r).toString('hex'));
      }),
      { numRuns: 2000 },
    );
  });
});
