import { useMutation } from '@tanstack/react-query';
import { ErrorBanner } from '../../../ui/error-banner';
import { Section } from '../../../ui/parts';
import { JWKS_PATH, fetchClearingJwks, verifyStatementSignature } from '../statement-signature';

/**
 * The signature check an outsider makes: fetch the published clearing JWKS (no credential), verify
 * the compact JWS with jose in this browser, and confirm the statement shown is the one signed.
 */
export function SignaturePanel({
  statementId,
  jws,
  shown,
}: {
  statementId: string;
  jws: string;
  shown: unknown;
}) {
  const verify = useMutation({
    mutationFn: async () => {
      const jwks = await fetchClearingJwks();
      const check = await verifyStatementSignature(jws, jwks, statementId);
      return { check, keys: jwks.keys.length, matchesShown: check.valid && sameJson(check.payload, shown) };
    },
  });
  const r = verify.data;
  return (
    <Section title="Signature">
      <p>
        Checked here, in your browser, against the clearing key set published at <code>{JWKS_PATH}</code> —
        not by asking the API.
      </p>
      <button type="button" className="primary" onClick={() => verify.mutate()} disabled={verify.isPending}>
        Verify signature
      </button>
      {verify.error ? <ErrorBanner error={verify.error} title="Could not verify" /> : null}
      {r ? (
        <div role="status" className="verify-result" data-testid="signature-result">
          {r.check.valid ? (
            <>
              <p className="notice">
                <strong>Signature valid.</strong> The {r.check.alg} signature over this statement's protected
                header and its {r.check.payloadBytes}-byte payload verifies with key{' '}
                <code>{r.check.kid}</code> of the published key set ({r.keys} key{r.keys === 1 ? '' : 's'}).
              </p>
              <dl>
                <dt>Key id</dt>
                <dd>
                  <code>{r.check.kid}</code>
                </dd>
                <dt>Algorithm</dt>
                <dd>{r.check.alg}</dd>
                <dt>Type</dt>
                <dd>{r.check.typ ?? '—'}</dd>
                <dt>Key thumbprint (RFC 7638)</dt>
                <dd className="hash">{r.check.thumbprint}</dd>
                <dt>Signed statement id</dt>
                <dd className="hash">{r.check.statementId}</dd>
                <dt>Lines shown on this page</dt>
                <dd>{r.matchesShown ? 'are exactly the signed ones' : 'DIFFER from the signed statement'}</dd>
              </dl>
            </>
          ) : (
            <p className="error-banner">
              <strong>Signature does not verify.</strong> {r.check.reason}
            </p>
          )}
        </div>
      ) : null}
    </Section>
  );
}

/** key order included: the API returns the payload it parsed from the same JWS */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
