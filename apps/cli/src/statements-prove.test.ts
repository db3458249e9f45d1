/**
 * `statements prove` checks a record's inclusion against the Merkle root inside the statement the
 * clearing key signed, not against the root the API's (unsigned) answer names.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  generateClearingKey,
  merkleRoot,
  proveInclusion,
  signStatement,
  type StatementLine,
  type StatementPayload,
} from '@federa/settlement';
import { emptyStatement } from '@federa/settlement/testing';
import { Args } from './args';
import type { Client } from './client';
import type { ApiCommand } from './command';
import { STATEMENT_COMMANDS } from './statements';

const ID = '2030-01-01T00:00:00.000Z/lumiere~rhein';
const REF = 'acme/1893456000000-0';
const signedRefs = ['acme/1893456000000-1', REF, 'acme/1893456000000-2'];

const line: StatementLine = {
  lineNo: 1,
  kind: 'usage',
  creditor: 'lumiere',
  debtor: 'rhein',
  model: 'm',
  originalPeriod: null,
  reference: null,
  records: 3,
  inputTokens: 3,
  outputTokens: 3,
  amount: 30,
  currency: 'EUR',
  fx: { rate: '1.000000', rateMicros: 1_000_000, effectiveFrom: '2030-01-01T00:00:00.000Z' },
  settledAmount: 30,
  merkleRoot: merkleRoot(signedRefs),
};
const payload: StatementPayload = emptyStatement({
  statementId: ID,
  lines: [line],
  net: { payer: 'rhein', payee: 'lumiere', amount: 30 },
});

async function setup() {
  const key = await generateClearingKey('k1');
  const dir = mkdtempSync(join(tmpdir(), 'federa-prove-'));
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [key.publicJwk] }));
  return { jws: await signStatement(payload, key.privateJwk), jwksFile, key };
}

/** an API that answers with the given statement and inclusion proof */
function api(jws: string, refs: readonly string[]): Client {
  const proof = proveInclusion(refs, REF)!;
  const answer = { lineNo: 1, lineRoot: proof.root, proof, verified: true };
  return {
    settlement: {
      get: { query: async () => ({ statementId: ID, jws, statement: payload, lifecycle: null }) },
      proveInclusion: { query: async () => answer },
    },
  } as unknown as Client;
}

const prove = (client: Client, jwksFile: string) =>
  (STATEMENT_COMMANDS['statements prove'] as ApiCommand).run(client, new Args({ jwks: jwksFile }, [ID, REF]));

describe('statements prove', () => {
  it('verifies a proof that hashes to the root of the signed statement', async () => {
    const { jws, jwksFile } = await setup();
    const out = await prove(api(jws, signedRefs), jwksFile);
    expect(out.failed).toBeFalsy();
    expect(out.result).toMatchObject({ verifiedLocally: true, signedRoot: line.merkleRoot });
  });

  it('fails when the API answers with a root of its own, even a self-consistent one', async () => {
    const { jws, jwksFile } = await setup();
    // the API claims the record sits in a different set of references than the statement signed
    const out = await prove(api(jws, [REF, 'acme/1893456000000-9']), jwksFile);
    expect(out.failed).toBe(true);
    expect(out.result).toMatchObject({ verifiedLocally: false });
  });

  it('fails when the statement does not verify with the given JWKS', async () => {
    const { jwksFile } = await setup();
    const stranger = await generateClearingKey('k1');
    const out = await prove(api(await signStatement(payload, stranger.privateJwk), signedRefs), jwksFile);
    expect(out.failed).toBe(true);
    expect(out.text).toMatch(/signature INVALID/);
  });
});
