import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, type RouterOutputs } from '../../../api/client';
import { ErrorBanner } from '../../../ui/error-banner';
import { Section } from '../../../ui/parts';
import { checkInclusion } from '../merkle-proof';

type Line = RouterOutputs['settlement']['get']['statement']['lines'][number];

/** how many of a line's record references the picker lists (any other can be typed) */
const LISTED = 200;

/**
 * Is this usage record counted in the statement? The API hands out a Merkle proof; this browser
 * recomputes the root with WebCrypto and compares it with the line's root in the signed statement.
 */
export function InclusionPanel({ statementId, lines }: { statementId: string; lines: readonly Line[] }) {
  const withRecords = lines.filter((l) => l.records > 0);
  const [lineNo, setLineNo] = useState(withRecords[0]?.lineNo ?? 0);
  const [recordRef, setRecordRef] = useState('');
  const refs = useQuery({
    queryKey: ['settlement.records', { statementId, lineNo, limit: LISTED }],
    queryFn: ({ signal }) => api.settlement.records.query({ statementId, lineNo, limit: LISTED }, { signal }),
    enabled: lineNo > 0,
  });
  const check = useMutation({
    mutationFn: async (ref: string) => {
      const proved = await api.settlement.proveInclusion.query({ statementId, recordRef: ref });
      const line = lines.find((l) => l.lineNo === proved.lineNo);
      if (!line) throw new Error(`the proof names line ${proved.lineNo}, which this statement does not have`);
      return {
        ref,
        line: line.lineNo,
        signedRoot: line.merkleRoot,
        proof: proved.proof,
        ...(await checkInclusion(proved.proof, line.merkleRoot)),
      };
    },
  });
  const chosen = recordRef || refs.data?.recordRefs[0] || '';
  if (withRecords.length === 0)
    return (
      <Section title="Record inclusion">
        <p>No line of this statement counts usage records.</p>
      </Section>
    );
  return (
    <Section title="Record inclusion">
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (chosen) check.mutate(chosen);
        }}
      >
        <div className="field">
          <label htmlFor="inclusion-line">Line</label>
          <select
            id="inclusion-line"
            value={lineNo}
            onChange={(e) => {
              setLineNo(Number(e.target.value));
              setRecordRef('');
            }}
          >
            {withRecords.map((l) => (
              <option key={l.lineNo} value={l.lineNo}>
                Line {l.lineNo}: {l.records} records ({l.model})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="inclusion-record">Record reference</label>
          <input
            id="inclusion-record"
            list="inclusion-refs"
            value={chosen}
            onChange={(e) => setRecordRef(e.target.value)}
            spellCheck={false}
          />
          <datalist id="inclusion-refs">
            {(refs.data?.recordRefs ?? []).map((r) => (
              <option key={r} value={r} />
            ))}
          </datalist>
        </div>
        {refs.error ? <ErrorBanner error={refs.error} title="Records not loaded" /> : null}
        <div className="row">
          <button type="submit" className="primary" disabled={!chosen || check.isPending}>
            Check inclusion
          </button>
        </div>
      </form>
      {check.error ? <ErrorBanner error={check.error} title="No proof" /> : null}
      {check.data ? (
        <div role="status" className="verify-result" data-testid="inclusion-result">
          {check.data.included ? (
            <p className="notice">
              <strong>Included.</strong> Record <code>{check.data.ref}</code> is leaf{' '}
              {check.data.proof.index + 1} of {check.data.proof.count} in line {check.data.line}: its{' '}
              {check.data.steps}-step path, hashed here with SHA-256, gives the line's signed Merkle root.
            </p>
          ) : (
            <p className="error-banner">
              <strong>Not proven.</strong> The proof for <code>{check.data.ref}</code> does not lead to line{' '}
              {check.data.line}'s signed root.
            </p>
          )}
          <dl>
            <dt>Recomputed root</dt>
            <dd className="hash">{check.data.computedRoot}</dd>
            <dt>Signed root of line {check.data.line}</dt>
            <dd className="hash">{check.data.signedRoot}</dd>
          </dl>
        </div>
      ) : null}
    </Section>
  );
}
