import { describe, expect, it } from 'vitest';
import { generateExchangeFileKey } from './file-key';
import { signDetached, verifyDetached } from './detached-jws';
import { verifyExchangeFile } from './verify-file';
import { EXCHANGE_SCHEMAS, EXCHANGE_TYP } from './schemas';

const bytes = new TextEncoder().encode('{"schema":"federa.exchange.usage-report.v1","rows":[]}\n');
const header = {
  typ: EXCHANGE_TYP['usage-report'],
  schema: EXCHANGE_SCHEMAS['usage-report'],
  file: 'usage-report.json',
};

describe('detached JWS over a file', () => {
  it('is compact with an empty payload and verifies over the exact bytes', async () => {
    const key = await generateExchangeFileKey('k1');
    const jws = await signDetached(bytes, header, key.privateJwk);
    expect(jws).toMatch(/^[\w-]+\.\.[\w-]+$/);
    await expect(verifyDetached(bytes, jws, { keys: [key.publicJwk] })).resolves.toMatchObject({
      ...header,
      kid: 'k1',
    });
  });

  it('refuses a tampered byte, another key, an attached payload, or a signature of another kind', async () => {
    const key = await generateExchangeFileKey('k1');
    const other = await generateExchangeFileKey('k1');
    const jws = await signDetached(bytes, header, key.privateJwk);
    const tampered = Uint8Array.from(bytes);
    const at = tampered.length - 3;
    tampered[at] = tampered[at]! ^ 1;
    await expect(verifyDetached(tampered, jws, { keys: [key.publicJwk] })).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    await expect(verifyDetached(bytes, jws, { keys: [other.publicJwk] })).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    const [h, , s] = jws.split('.');
    await expect(verifyDetached(bytes, `${h}.eA.${s}`, { keys: [key.publicJwk] })).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    // signed as a statement file: the typ does not match the file name it names
    const wrongTyp = await signDetached(bytes, { ...header, typ: EXCHANGE_TYP.statement }, key.privateJwk);
    await expect(verifyExchangeFile(bytes, wrongTyp, { keys: [key.publicJwk] })).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
  });

  it('refuses a schema version it does not know, and bytes declaring another schema', async () => {
    const key = await generateExchangeFileKey('k1');
    const jwks = { keys: [key.publicJwk] };
    const v9 = await signDetached(
      bytes,
      { ...header, schema: 'federa.exchange.usage-report.v9' },
      key.privateJwk,
    );
    await expect(verifyExchangeFile(bytes, v9, jwks)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const csv = new TextEncoder().encode('a,b\r\n1,2\r\n');
    const csvJws = await signDetached(csv, { ...header, file: 'usage-report.csv' }, key.privateJwk);
    await expect(verifyExchangeFile(csv, csvJws, jwks)).rejects.toThrow(/CSV columns/);
  });
});
