/**
 * Every API call needs a valid JWT. Each attack below is refused with 401 and changes nothing:
 * no hold, no dispatch, no usage record.
 */
import { SignJWT, base64url, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER, chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { testTopology } from '../support/topology';

describe('authentication', () => {
  const s = uniqueSuffix();
  const tenant = `${s}-eu`;
  let fed: Federation;
  let valid: string;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    valid = await fed.token('tenant', tenant);
  });
  afterAll(async () => fed?.close());

  const part = (value: object) => base64url.encode(JSON.stringify(value));
  const nowSec = () => Math.floor(Date.now() / 1000);

  const attacks: [string, () => Promise<string | null>][] = [
    ['no token', async () => null],
    ['a malformed header value', async () => 'not-a-jwt'],
    ['an expired token', () => fed.token('tenant', tenant, { expiresIn: nowSec() - 120 })],
    ['a token for another audience', () => signWith({ aud: 'someone-else' })],
    ['a token from another issuer', () => signWith({ iss: 'https://evil.example' })],
    ['a token without exp', () => signWith({ exp: undefined })],
    ['a token not yet valid (nbf in the future)', () => signWith({ nbf: nowSec() + 600 })],
    [
      'alg: none',
      async () =>
        `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: tenant, role: 'tenant', iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 300 })}.`,
    ],
    [
      'a tampered payload',
      async () => {
        const [h, , sig] = valid.split('.');
        return `${h}.${part({ sub: `${s}-any`, role: 'tenant', iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 300 })}.${sig}`;
      },
    ],
    [
      'a tampered signature',
      async () => {
        const [h, p, sig] = valid.split('.');
        const bytes = base64url.decode(sig!);
        bytes[0] = bytes[0]! ^ 0xff;
        return `${h}.${p}.${base64url.encode(bytes)}`;
      },
    ],
    [
      'HS256 signed with the public key',
      async () =>
        new SignJWT({ role: 'tenant' })
          .setProtectedHeader({ alg: 'HS256', kid: fed.signingKey.publicJwk.kid })
          .setSubject(tenant)
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(JSON.stringify(fed.signingKey.publicJwk))),
    ],
    [
      'a key the federation does not know',
      async () => {
        const { privateKey } = await generateKeyPair('ES256');
        return new SignJWT({ role: 'tenant' })
          .setProtectedHeader({ alg: 'ES256', kid: 'rogue' })
          .setSubject(tenant)
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(privateKey);
      },
    ],
    ['a token without a role', () => signWith({ role: undefined })],
  ];

  async function signWith(claims: Record<string, unknown>): Promise<string> {
    const { importJWK } = await import('jose');
    const key = await importJWK(fed.signingKey.privateJwk, 'ES256');
    const payload: Record<string, unknown> = {
      sub: tenant,
      role: 'tenant',
      iss: ISSUER,
      aud: AUDIENCE,
      exp: nowSec() + 300,
      ...claims,
    };
    for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: fed.signingKey.publicJwk.kid })
      .sign(key);
  }

  it.each(attacks)('refuses %s with 401 and changes nothing', async (label, make) => {
    const before = await fed.ledger.account(tenant);
    const completions = fed.totalCompletions();
    const requestId = `attack-${label.replace(/\W/g, '')}`;
    const token = await make();
    const res = await fed.call('inference.complete', chat(requestId), token);
    expect(res.status).toBe(401);
    expect(res.body.error.data.federaCode).toBe('UNAUTHENTICATED');
    expect(await fed.ledger.account(tenant)).toEqual(before);
    expect(fed.totalCompletions()).toBe(completions);
    expect(await fed.ledger.hold(tenant, requestId)).toBeNull();
    const usage = await fed.call('usage.list', undefined, token, { method: 'GET' });
    expect(usage.status).toBe(401);
  });

  it('accepts the valid token (the attacks above fail for their flaw alone)', async () => {
    const res = await fed.call('inference.complete', chat('legit'), valid);
    expect(res.status).toBe(200);
  });

  it('refuses a non-tenant role on tenant procedures with 403', async () => {
    const res = await fed.call(
      'inference.complete',
      chat('as-operator'),
      await fed.token('operator', `${s}-rhein`),
    );
    expect(res.status).toBe(403);
    expect(res.body.error.data.federaCode).toBe('FORBIDDEN');
  });

  it('refuses a tenant token for a tenant the federation does not know', async () => {
    const res = await fed.call('inference.complete', chat('ghost'), await fed.token('tenant', `${s}-ghost`));
    expect(res.status).toBe(403);
    expect(res.body.error.data.federaCode).toBe('UNKNOWN_TENANT');
  });

  it('rejects malformed JSON and invalid input with 400 and a stable code', async () => {
    const malformed = await fed.call('inference.complete', '{"requestId": ', valid);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.data.federaCode).toBe('MALFORMED_JSON');
    const invalid = await fed.call('inference.complete', chat('bad', { max_tokens: -1 }), valid);
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.data.federaCode).toBe('VALIDATION_FAILED');
    expect(invalid.body.error.message).toContain('max_tokens');
  });

  it('rejects an oversized body with 413', async () => {
    const huge = chat('huge', { messages: [{ role: 'user', content: 'x'.repeat(1_200_000) }] });
    const res = await fed.call('inference.complete', huge, valid);
    expect(res.status).toBe(413);
    expect(res.body.error.data.federaCode).toBe('PAYLOAD_TOO_LARGE');
  });
});
