import { describe, expect, it } from 'vitest';
import { generateClearingKey, signStatement, type StatementPayload } from '@federa/settlement';
import { verifyStatementSignature } from './statement-signature';

const payload = {
  type: 'federa.settlement.statement',
  statementId: 'p/a~b',
  lines: [],
} as unknown as StatementPayload;

async function signed() {
  const key = await generateClearingKey('clearing-1');
  const jws = await signStatement(payload, key.privateJwk);
  return { jws, jwks: { keys: [key.publicJwk] } };
}

/** the JWS with one base64url character of `part` (0 header, 1 payload, 2 signature) changed */
function tamper(jws: string, part: number): string {
  const parts = jws.split('.');
  const p = parts[part]!;
  const i = Math.floor(p.length / 2);
  parts[part] = p.slice(0, i) + (p[i] === 'A' ? 'B' : 'A') + p.slice(i + 1);
  return parts.join('.');
}

describe('verifyStatementSignature', () => {
  it('accepts a statement signed by the clearing key, naming key id, algorithm and thumbprint', async () => {
    const { jws, jwks } = await signed();
    const check = await verifyStatementSignature(jws, jwks, 'p/a~b');
    expect(check).toMatchObject({
      valid: true,
      kid: 'clearing-1',
      alg: 'EdDSA',
      typ: 'federa-statement+jws',
    });
    expect(check.valid && check.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ['header', 0],
    ['payload', 1],
    ['signature', 2],
  ])('refuses a statement with a changed byte in its %s', async (_name, part) => {
    const { jws, jwks } = await signed();
    const check = await verifyStatementSignature(tamper(jws, part), jwks, 'p/a~b');
    expect(check.valid).toBe(false);
  });

  it('ignores a key marked for exchange files, even the very key that signed', async () => {
    const { jws, jwks } = await signed();
    const marked = { keys: jwks.keys.map((k) => ({ ...k, 'federa-purpose': 'exchange-files' })) };
    expect(await verifyStatementSignature(jws, marked, 'p/a~b')).toMatchObject({ valid: false });
  });

  it('refuses a genuine signature by another key, and one over another statement', async () => {
    const { jws } = await signed();
    const other = await generateClearingKey('clearing-1');
    expect((await verifyStatementSignature(jws, { keys: [other.publicJwk] }, 'p/a~b')).valid).toBe(false);
    const { jws: good, jwks } = await signed();
    const check = await verifyStatementSignature(good, jwks, 'p/a~c');
    expect(check).toMatchObject({ valid: false, reason: expect.stringContaining("'p/a~b'") });
  });
});
