/**
 * Checks, in the browser and with WebCrypto only, that a usage record is counted in a statement
 * line: the same hashing packages/settlement/src/merkle.ts defines — leaf = SHA-256(0x00 ‖ record
 * id), node = SHA-256(0x01 ‖ left ‖ right), siblings applied from the leaf up on the side the proof
 * names. The server's own "verified" flag is not trusted; only the line's signed Merkle root is.
 */

export interface ProofStep {
  readonly side: 'left' | 'right';
  readonly hash: string;
}

export interface InclusionProof {
  readonly recordId: string;
  readonly index: number;
  readonly count: number;
  readonly path: readonly ProofStep[];
  readonly root: string;
}

export interface InclusionCheck {
  readonly included: boolean;
  /** the root recomputed from the record and the proof's path, hex */
  readonly computedRoot: string;
  readonly steps: number;
}

const HEX = /^(?:[0-9a-f]{2})+$/;

function fromHex(hex: string): Uint8Array {
  if (!HEX.test(hex)) throw new Error(`not a hex hash: '${hex.slice(0, 16)}…'`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
}

export const leafHash = (recordId: string) => sha256(Uint8Array.of(0), new TextEncoder().encode(recordId));
const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(Uint8Array.of(1), left, right);

/**
 * Recompute the root from `proof` and compare it with `signedRoot` — the root in the signed
 * statement line, never the root the proof itself carries.
 */
export async function checkInclusion(proof: InclusionProof, signedRoot: string): Promise<InclusionCheck> {
  let h = await leafHash(proof.recordId);
  for (const step of proof.path) {
    const sibling = fromHex(step.hash);
    h = step.side === 'right' ? await nodeHash(h, sibling) : await nodeHash(sibling, h);
  }
  const computedRoot = toHex(h);
  return { included: computedRoot === signedRoot.toLowerCase(), computedRoot, steps: proof.path.length };
}
