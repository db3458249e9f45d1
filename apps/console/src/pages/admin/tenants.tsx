import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { Loaded, PageTitle, Section, TableScroll } from '../../ui/parts';
import { GroupsSection } from './groups-section';
import { TenantBudget } from './tenant-budget';
import { TenantEditor } from './tenant-editor';
import { unitsText } from '../../ui/money';
import './admin.css';

/** Tenants (residency, region, home operator), their budgets and top-ups, and jurisdiction groups. */
export default function AdminTenants() {
  const tenants = useQuery({
    queryKey: ['tenants.list'],
    queryFn: ({ signal }) => api.tenants.list.query(undefined, { signal }),
  });
  const [selected, setSelected] = useState<string | undefined>();
  return (
    <>
      <PageTitle lead="Who may use the federation, where their data may go, and what they may spend.">
        Tenants &amp; budgets
      </PageTitle>
      <Section title="Tenants" id="tenants">
        <Loaded query={tenants}>
          {(list) => (
            <TableScroll label="Tenants">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Tenant</th>
                    <th scope="col">Home operator</th>
                    <th scope="col">Residency</th>
                    <th scope="col">Region</th>
                    <th scope="col" className="num">
                      Initial budget
                    </th>
                    <th scope="col">
                      <span className="admin-hint">Action</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {[...list]
                    .sort((a, b) => a.id.localeCompare(b.id))
                    .map((t) => (
                      <tr key={t.id}>
                        <th scope="row">
                          <code>{t.id}</code>
                          <div className="admin-hint">{t.name}</div>
                        </th>
                        <td>{t.homeOperator}</td>
                        <td>{t.residency.join(', ')}</td>
                        <td>{t.region}</td>
                        <td className="num">
                          {/* in the home operator's currency; the budget card shows the ledger's figures */}
                          {unitsText(t.budget)} · {t.budgetMode}
                        </td>
                        <td>
                          <button
                            type="button"
                            onClick={() => setSelected(t.id)}
                            aria-pressed={selected === t.id}
                            aria-label={`Manage ${t.id}`}
                          >
                            Manage
                          </button>
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </TableScroll>
          )}
        </Loaded>
        {selected ? (
          <div className="row admin-compare">
            <button type="button" onClick={() => setSelected(undefined)}>
              New tenant
            </button>
          </div>
        ) : null}
      </Section>
      {selected ? <TenantBudget key={`budget-${selected}`} tenantId={selected} /> : null}
      <TenantEditor
        key={`editor-${selected ?? 'new'}`}
        tenant={tenants.data?.find((t) => t.id === selected)}
        onSaved={setSelected}
      />
      <GroupsSection />
    </>
  );
}
