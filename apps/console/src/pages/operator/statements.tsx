import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { formatMoney } from '../../ui/money';
import { Loaded, PageTitle, Section, TableScroll, formatTime } from '../../ui/parts';
import { OperatorFilter, useOperatorFilter } from './operator-filter';
import { FinalBadge } from './final-badge';
import { StatusBadge } from './status-badge';
import './operator.css';

export const statementHref = (id: string) => `#/operator/statements/${encodeURIComponent(id)}`;

/** Signed settlement statements the operator is a party to (all of them for an admin). */
export default function Statements() {
  const { isAdmin } = useOperatorFilter();
  const [operator, setOperator] = useState('');
  const input = operator ? { operator } : {};
  const list = useQuery({
    queryKey: ['settlement.list', input],
    queryFn: ({ signal }) => api.settlement.list.query(input, { signal }),
  });
  return (
    <>
      <PageTitle lead="One statement per operator pair and period, signed by the clearing house. Open one to verify its signature, check records and accept or dispute it.">
        Statements
      </PageTitle>
      {isAdmin ? <OperatorFilter value={operator} onChange={setOperator} /> : null}
      <Section title="All statements">
        <Loaded query={list}>
          {(rows) =>
            rows.length === 0 ? (
              <p>No statements yet: they are issued when a period closes with roaming traffic.</p>
            ) : (
              <TableScroll label="Statements">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Period</th>
                      <th scope="col">Parties</th>
                      <th scope="col">Net</th>
                      <th scope="col">Status</th>
                      <th scope="col">Dispute until</th>
                      <th scope="col" className="num">
                        Lines
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...rows]
                      .sort((a, b) => b.period.id.localeCompare(a.period.id))
                      .map((s) => (
                        <tr key={s.statementId}>
                          <th scope="row">
                            <a href={statementHref(s.statementId)} aria-label={`Statement ${s.statementId}`}>
                              {s.period.id}
                            </a>
                          </th>
                          <td>{s.parties.join(' ↔ ')}</td>
                          <td>
                            {s.net.payer && s.net.payee ? (
                              <>
                                {s.net.payer} pays {s.net.payee} {formatMoney(s.net.amount, s.currency)}
                              </>
                            ) : (
                              'nothing to pay'
                            )}
                          </td>
                          <td>
                            <StatusBadge status={s.status} /> <FinalBadge final={s.final} />
                          </td>
                          <td>{s.disputeDeadline ? formatTime(s.disputeDeadline) : '—'}</td>
                          <td className="num">{s.lines}</td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              </TableScroll>
            )
          }
        </Loaded>
      </Section>
    </>
  );
}
