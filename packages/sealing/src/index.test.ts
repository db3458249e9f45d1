import { describe, expect, it } from 'vitest';
import { generatePayloadKeys, openCompact, openWith, sealFor, sealTo } from './index';

describe('sealed payloads', () => {
  it('opens only with a key of a jurisdiction it was sealed for', async () => {
    const keys = await generatePayloadKeys(['DE', 'FR', 'US']);
    const jwe = await sealFor('{"secret":"Quarterly figures"}', [
      keys.jurisdictions.DE!.publicJwk,
      keys.jurisdictions.FR!.publicJwk,
    ]);
    expect(JSON.stringify(jwe)).not.toContain('Quarterly');
    expect(await openWith(jwe, keys.jurisdictions.DE!.privateJwk)).toBe('{"secret":"Quarterly figures"}');
    expect(await openWith(jwe, keys.jurisdictions.FR!.privateJwk)).toBe('{"secret":"Quarterly figures"}');
    await expect(openWith(jwe, keys.jurisdictions.US!.privateJwk)).rejects.toMatchObject({
      code: 'RESIDENCY_VIOLATION',
    });
    // a US key relabelled as DE's cannot open it either
    await expect(
      openWith(jwe, { ...keys.jurisdictions.US!.privateJwk, kid: 'payload-DE' }),
    ).rejects.toThrow();
  });

  it('seals completions to the API alone', async () => {
    const keys = await generatePayloadKeys(['DE']);
    const sealed = await sealTo('the answer', keys.api.publicJwk);
    expect(sealed).not.toContain('answer');
    expect(await openCompact(sealed, keys.api.privateJwk)).toBe('the answer');
    await expect(openCompact(sealed, keys.jurisdictions.DE!.privateJwk)).rejects.toThrow();
  });
});
