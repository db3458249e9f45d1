/**
 * The statement-line Merkle hashes of merkle.ts (leaf: SHA-256 of 0x00 ‖ UTF-8 id; node: SHA-256 of
 * 0x01 ‖ left ‖ right) for the streaming builder, with each 32-byte digest held as a one-byte
 * ("latin1") string instead of a Buffer. A settlement run hashes about two of them per usage record;
 * in Node a Buffer per digest costs more than the SHA-256 itself (allocation, then garbage collection
 * of its backing store), while a short string is cheap. The bytes hashed are exactly merkle.ts's, so
 * roots and proofs are unchanged; hex is made only where a digest is printed.
 */
import { hash } from 'node:crypto';

/** 32 digest bytes, one per UTF-16 code unit (0–255) */
export type Digest = string;

/** Node's name for latin1 as a digest's output encoding: one byte, one code unit */
const BYTES_AS_STRING = 'binary';

/** SHA-256 of 0x00 ‖ UTF-8(id): `hash` encodes a string input as UTF-8, so the prefix is one 0x00 byte */
export const leafDigest = (id: string): Digest => hash('sha256', `\u0000${id}`, BYTES_AS_STRING);

/**
 * Reused for every node: 0x01, then the two children's bytes. Safe to share because `hash` is
 * synchronous, so no other node can be written into it between the writes and the hash.
 */
const node = Buffer.alloc(65, 1);

export function nodeDigest(left: Digest, right: Digest): Digest {
  node.write(left, 1, 32, 'latin1');
  node.write(right, 33, 32, 'latin1');
  return hash('sha256', node, BYTES_AS_STRING);
}

export const digestHex = (d: Digest): string => Buffer.from(d, 'latin1').toString('hex');
