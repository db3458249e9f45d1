import type { RouterOutputs } from '../../../api/client';
import { Section } from '../../../ui/parts';

type CreditNote = RouterOutputs['settlement']['get']['creditNote'];

/**
 * A resolution settled by credit note (the pair's agreement says so): its id, and once the
 * settlement worker has signed it, the compact JWS to verify with the same clearing JWKS.
 */
export function CreditNotePanel({ creditNote }: { creditNote: CreditNote }) {
  if (!creditNote) return null;
  return (
    <Section title="Credit note">
      <p data-testid="credit-note">
        <code className="hash">{creditNote.creditNoteId}</code>{' '}
        {'jws' in creditNote
          ? '— signed by the clearing house; verify it with the published clearing key set.'
          : '— pending: the clearing house signs it on its next settlement run.'}
      </p>
      {'jws' in creditNote ? (
        <details>
          <summary>Signed credit note (compact JWS)</summary>
          <code className="hash">{creditNote.jws}</code>
        </details>
      ) : null}
    </Section>
  );
}
