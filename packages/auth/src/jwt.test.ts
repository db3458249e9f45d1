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

describe('token lifetime and type', () => {
  async function setup(maxLifetimeSec?: number) {
    const key = await generateSigningKey('k');
    const verify = createVerifier({
      jwks: { keys: [key.publicJwk] },
      issuer: ISSUER,
      audience: AUDIENCE,
      ...(maxLifetimeSec ? { maxLifetimeSec } : {}),
    });
    const sign = async (opts: { iat?: number; exp: number; typ?: string }) => {
      const header: { alg: string; kid?: string; typ?: string } = { alg: 'ES256', kid: 'k' };
      if (opts.typ !== undefined) header.typ = opts.typ;
      const jwt = new SignJWT({ role: 'tenant' })
        .setProtectedHeader(header)
        .setSubject('acme')
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime(opts.exp);
      if (opts.iat !== undefined) jwt.setIssuedAt(opts.iat);
      return jwt.sign(await importJWK(key.privateJwk, 'ES256'));
    };
    return { verify, sign };
  }
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses a token whose lifetime exceeds the maximum (24 h by default)', async () => {
    const { verify, sign } = await setup();
    await expect(verify(await sign({ iat: now(), exp: now() + 24 * 3600 }))).resolves.toMatchObject({
      subject: 'acme',
    });
    await expect(verify(await sign({ iat: now(), exp: now() + 30 * 24 * 3600 }))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'invalid token: ERR_JWT_LIFETIME_TOO_LONG',
    });
    // without iat, the lifetime left counts
    await expect(verify(await sign({ exp: now() + 365 * 24 * 3600 }))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    const strict = await setup(3600);
    await expect(strict.verify(await strict.sign({ iat: now(), exp: now() + 7200 }))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('keeps the 12-hour tokens mintToken issues (npm start prints one) valid', async () => {
    const key = await generateSigningKey('k');
    const verify = createVerifier({ jwks: { keys: [key.publicJwk] }, issuer: ISSUER, audience: AUDIENCE });
    const token = await mintToken({
      privateJwk: key.privateJwk,
      role: 'tenant',
      subject: 'acme-eu',
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    await expect(verify(token)).resolves.toMatchObject({ subject: 'acme-eu' });
  });

  it('refuses an iat in the future beyond the clock tolerance', async () => {
    const { verify, sign } = await setup();
    await expect(verify(await sign({ iat: now() + 3, exp: now() + 3600 }))).resolves.toBeTruthy();
    await expect(verify(await sign({ iat: now() + 600, exp: now() + 3600 }))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'invalid token: ERR_JWT_ISSUED_IN_FUTURE',
    });
  });

  it('accepts typ absent, JWT or at+jwt, and refuses any other typ', async () => {
    const { verify, sign } = await setup();
    for (const typ of [undefined, 'JWT', 'at+jwt', 'application/at+jwt']) {
      await expect(verify(await sign({ iat: now(), exp: now() + 3600, typ }))).resolves.toBeTruthy();
    }
    for (const typ of ['id+jwt', 'logout+jwt', 'JWE', 'secevent+jwt']) {
      await expect(verify(await sign({ iat: now(), exp: now() + 3600, typ }))).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'invalid token: ERR_JWT_TYP_NOT_ALLOWED',
      });
    }
  });
});
