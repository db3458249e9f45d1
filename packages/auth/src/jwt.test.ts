import { SignJWT, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createVerifier, generateSigningKey, mintToken } from './jwt';

const ISSUER = 'iss-test';
const AUDIENCE = 'aud-test';

describe('token verification', () => {
  it('accepts tokens of every key in the JWKS, so keys rotate by kid', async () => {
    const [oldKey, newKey] = await Promise.all([
      generateSigningKey('k-2026-10'),
      generateSigningKey('k-2026-11'),
    ]);
    const verify = createVerifier({
      jwks: { keys: [oldKey.publicJwk, newKey.publicJwk] },
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    for (const key of [oldKey, newKey]) {
      const token = await mintToken({
        privateJwk: key.privateJwk,
        role: 'operator',
        subject: 'rhein',
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      await expect(verify(token)).resolves.toMatchObject({ role: 'operator', subject: 'rhein' });
    }
    // once the old key leaves the JWKS, its tokens stop working
    const rotated = createVerifier({
      jwks: { keys: [newKey.publicJwk] },
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const old = await mintToken({
      privateJwk: oldKey.privateJwk,
      role: 'operator',
      subject: 'rhein',
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    await expect(rotated(old)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('tolerates a few seconds of clock skew, not more', async () => {
    const key = await generateSigningKey('k');
    const verify = createVerifier({
      jwks: { keys: [key.publicJwk] },
      issuer: ISSUER,
      audience: AUDIENCE,
      clockToleranceSec: 5,
    });
    const sign = async (exp: number) =>
      new SignJWT({ role: 'tenant' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setSubject('t')
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime(exp)
        .sign(await importJWK(key.privateJwk, 'ES256'));
    const now = Math.floor(Date.now() / 1000);
    await expect(verify(await sign(now - 2))).resolves.toMatchObject({ subject: 't' });
    await expect(verify(await sign(now - 30))).rejects.toThrow(/ERR_JWT_EXPIRED/);
  });

  it('refuses roles outside the known set', async () => {
    const key = await generateSigningKey('k');
    const verify = createVerifier({ jwks: { keys: [key.publicJwk] }, issuer: ISSUER, audience: AUDIENCE });
    const token = await new SignJWT({ role: 'superuser' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setSubject('x')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(await importJWK(key.privateJwk, 'ES256'));
    await expect(verify(token)).rejects.toThrow(/role/);
  });
});
