import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { PageProps } from '../../shell/routes';
import { useWho } from '../../session/session';
import { formatMoney } from '../../ui/money';
import { Loaded, PageTitle, Section, Stat, formatTime } from '../../ui/parts';
import { FinalBadge } from './final-badge';
import { StatusBadge } from './status-badge';
import { CreditNotePanel } from './statement/credit-note-panel';
import { CsvDownload } from './statement/csv-download';
import { InclusionPanel } from './statement/inclusion-panel';
import { LifecyclePanel } from './statement/lifecycle-panel';
import { LinesTable } from './statement/lines-table';
import { SignaturePanel } from './statement/signature-panel';
import './operator.css';

/** One statement: its lines, its lifecycle, and the checks a party makes before accepting it. */
export default function Statement({ params }: PageProps) {
  const statementId = params['statementId'] ?? '';
  const who = useWho();
  const got = useQuery({
    queryKey: ['settlement.get', { statementId }],
    queryFn: ({ signal }) => api.settlement.get.query({ statementId }, { signal }),
  });
  // only a party acts on a statement; admins read it (the API refuses them accept and dispute)
  const me = who.role === 'operator' ? who.subject : null;
  return (
    <>
      <PageTitle lead={<code className="hash">{statementId}</code>}>Statement</PageTitle>
      <p>
        <a href="#/operator/statements">← All statements</a>
      </p>
      <Loaded query={got}>
        {({ statement: s, jws, lifecycle, final, disputeDeadline, creditNote }) => {
          const status = lifecycle?.status ?? 'issued';
          const own = s.netInPayeeCurrency;
          return (
            <>
              <Section title="Summary">
                <div className="stats">
                  <Stat
                    label="Period"
                    value={`${formatTime(s.period.start)} – ${formatTime(s.period.end)}`}
                  />
                  <Stat label="Parties" value={s.parties.join(' ↔ ')} />
                  <Stat
                    label="Net"
                    value={
                      s.net.payer && s.net.payee ? (
                        <>
                          {s.net.payer} pays {s.net.payee} {formatMoney(s.net.amount, s.settlementCurrency)}
                          {/* the payee's position in its own currency, converted once */}
                          {own && own.currency !== s.settlementCurrency ? (
                            <span className="sub">
                              = {formatMoney(own.amount, own.currency)} at {own.fx.rate} ({own.fx.source})
                            </span>
                          ) : null}
                        </>
                      ) : (
                        'nothing to pay'
                      )
                    }
                  />
                  <Stat label="Currency" value={s.settlementCurrency} testId="statement-currency" />
                  <Stat
                    label="Status"
                    value={
                      <>
                        <StatusBadge status={status} /> <FinalBadge final={final} />
                      </>
                    }
                  />
                  <Stat label="Closed" value={formatTime(s.closedAt)} />
                  <Stat
                    label="Dispute until"
                    value={disputeDeadline ? formatTime(disputeDeadline) : 'no deadline (version 1)'}
                    testId="dispute-deadline"
                  />
                </div>
                <CsvDownload statementId={statementId} />
              </Section>
              <SignaturePanel statementId={statementId} jws={jws} shown={s} />
              <LifecyclePanel
                statementId={statementId}
                lifecycle={lifecycle}
                me={me}
                currency={s.settlementCurrency}
              />
              <LinesTable
                statementId={statementId}
                lines={s.lines}
                currency={s.settlementCurrency}
                me={me}
                canDispute={
                  me !== null && !final && status === 'issued' && !(lifecycle?.acceptedBy ?? []).includes(me)
                }
              />
              <CreditNotePanel creditNote={creditNote} />
              <InclusionPanel statementId={statementId} lines={s.lines} />
            </>
          );
        }}
      </Loaded>
    </>
  );
}
