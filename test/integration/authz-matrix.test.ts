/**
 * The authorisation matrix: every procedure × every kind of caller, generated from one table. A
 * procedure added to the router without a row here fails the suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { appRouter } from '@federa/api';
import { periodOf } from '@federa/settlement';
import { excludeSitesFor, lineRefs } from '../support/settlement-fixtures';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

type Caller = 'none' | 'tenant' | 'otherTenant' | 'operator' | 'otherOperator' | 'admin';
/** 409: allowed by authorisation, refused by the statement's state (accepted, not disputed…) */
type Outcome = 200 | 401 | 403 | 404 | 409;
const CALLERS: Caller[] = ['none', 'tenant', 'otherTenant', 'operator', 'otherOperator', 'admin'];

interface Row {
  readonly kind: 'query' | 'mutation';
  /** input for one call; `n` makes ids unique per call */
  readonly input: (s: string, n: number, caller: Caller) => unknown;
  /** outcome for each authenticated caller (none is always 401) */
  readonly allow: Partial<Record<Exclude<Caller, 'none'>, Outcome>>;
}

const TENANTS = { tenant: 200, otherTenant: 200 } as const;
const ADMIN = { admin: 200 } as const;
const OWNER_SCOPED = { operator: 200, otherOperator: 404, admin: 200 } as const;
const OPERATORS_AND_ADMIN = { operator: 200, otherOperator: 200, admin: 200 } as const;

const price = { inputPer1M: 100_000, outputPer1M: 300_000 };
const newSite = (s: string, id: string) => ({
  id,
  operator: `${s}-rhein`,
  jurisdiction: 'DE',
  city: 'Munich',
  location: { lat: 48.1, lon: 11.6 },
  endpoint: 'http://127.0.0.1:1',
  models: [{ id: TEST_MODEL, capacity: 4 }],
});

/** a real statement between `operator` (rhein) and `otherOperator` (albion), made in beforeAll */
const fixture = { statementId: '', periodId: '', jws: '', recordRef: '' };

const MATRIX: Record<string, Row> = {
  'auth.whoami': { kind: 'query', input: () => undefined, allow: { ...TENANTS, ...OPERATORS_AND_ADMIN } },
  'settlement.jwks': { kind: 'query', input: () => undefined, allow: { ...TENANTS, ...OPERATORS_AND_ADMIN } },
  'settlement.list': { kind: 'query', input: () => ({}), allow: OPERATORS_AND_ADMIN },
  'settlement.get': {
    kind: 'query',
    input: () => ({ statementId: fixture.statementId }),
    allow: OPERATORS_AND_ADMIN,
  },
  'settlement.records': {
    kind: 'query',
    input: () => ({ statementId: fixture.statementId, lineNo: 1 }),
    allow: OPERATORS_AND_ADMIN,
  },
  'settlement.proveInclusion': {
    kind: 'query',
    input: () => ({ statementId: fixture.statementId, recordRef: fixture.recordRef }),
    allow: OPERATORS_AND_ADMIN,
  },
  // both parties accept; an admin is no party
  'settlement.accept': {
    kind: 'mutation',
    input: () => ({ statementId: fixture.statementId }),
    allow: { operator: 200, otherOperator: 200, admin: 403 },
  },
  // once accepted, a dispute is refused by state, not by role
  'settlement.dispute': {
    kind: 'mutation',
    input: () => ({ statementId: fixture.statementId, lines: [{ lineNo: 1, amount: 1 }] }),
    allow: { operator: 409, otherOperator: 409, admin: 403 },
  },
  'settlement.resolve': {
    kind: 'mutation',
    input: (s) => ({
      statementId: fixture.statementId,
      creditor: `${s}-rhein`,
      debtor: `${s}-albion`,
      amount: 1_000_000, // a whole minor unit of any currency: refused by state, not by amount
    }),
    allow: { admin: 409 },
  },
  'settlement.verify': {
    kind: 'mutation',
    input: () => ({ jws: fixture.jws, recompute: false }),
    allow: { ...TENANTS, ...OPERATORS_AND_ADMIN },
  },
  'settlement.run': { kind: 'mutation', input: () => ({ periodId: fixture.periodId }), allow: ADMIN },
  'settlement.tenantStatement': {
    kind: 'query',
    input: () => ({ periodId: fixture.periodId }),
    allow: TENANTS,
  },
  'fx.list': { kind: 'query', input: () => undefined, allow: ADMIN },
  'fx.add': {
    kind: 'mutation',
    input: (_s, n) => ({
      from: 'USD',
      to: 'EUR',
      rateMicros: 920_000 + n,
      effectiveFrom: new Date(Date.now() + n).toISOString(),
    }),
    allow: ADMIN,
  },
  'inference.complete': { kind: 'mutation', input: (_s, n) => chat(`authz-${n}`), allow: TENANTS },
  'usage.list': { kind: 'query', input: () => ({ limit: 5 }), allow: TENANTS },
  'usage.summary': { kind: 'query', input: () => undefined, allow: TENANTS },
  'keys.create': { kind: 'mutation', input: (_s, n) => ({ name: `authz-${n}` }), allow: TENANTS },
  'keys.list': { kind: 'query', input: () => undefined, allow: TENANTS },
  // no caller owns this key: tenants reach the procedure and are told it is not theirs
  'keys.revoke': {
    kind: 'mutation',
    input: () => ({ id: 'key_nobodys' }),
    allow: { tenant: 404, otherTenant: 404 },
  },
  'routing.explain': { kind: 'query', input: () => ({ model: TEST_MODEL }), allow: TENANTS },
  'budgets.get': { kind: 'query', input: (s) => ({ tenantId: `${s}-eu` }), allow: ADMIN },
  'budgets.set': {
    kind: 'mutation',
    input: (s) => ({ tenantId: `${s}-any`, budget: 10_000_000 }),
    allow: ADMIN,
  },
  'budgets.topUp': {
    kind: 'mutation',
    input: (s, n) => ({ tenantId: `${s}-any`, topUpId: `t-${n}`, amount: 1 }),
    allow: ADMIN,
  },
  'audit.list': { kind: 'query', input: () => ({ limit: 5 }), allow: ADMIN },
  'policy.get': { kind: 'query', input: () => undefined, allow: ADMIN },
  'policy.set': {
    kind: 'mutation',
    input: () => ({ weights: { latency: 0.6, load: 0.2, price: 0.2 } }),
    allow: ADMIN,
  },
  'policy.history': { kind: 'query', input: () => undefined, allow: ADMIN },
  'policy.preview': {
    kind: 'query',
    input: () => ({ policy: { weights: { latency: 0, load: 0, price: 1 } }, model: TEST_MODEL }),
    allow: ADMIN,
  },
  'tenants.list': { kind: 'query', input: () => undefined, allow: ADMIN },
  'tenants.get': { kind: 'query', input: (s) => ({ tenantId: `${s}-eu` }), allow: ADMIN },
  'tenants.upsert': {
    kind: 'mutation',
    input: (s, n) => ({
      id: `${s}-new-${n}`,
      name: 'New',
      homeOperator: `${s}-rhein`,
      residency: ['EU'],
      budget: 1,
      region: 'de',
      location: { lat: 50, lon: 8 },
    }),
    allow: ADMIN,
  },
  'groups.list': { kind: 'query', input: () => undefined, allow: ADMIN },
  'groups.set': {
    kind: 'mutation',
    input: () => ({ name: 'BENELUX', countries: ['BE', 'NL', 'LU'] }),
    allow: ADMIN,
  },
  'rateCards.list': { kind: 'query', input: () => ({}), allow: ADMIN },
  'rateCards.add': {
    kind: 'mutation',
    input: (s, n) => ({
      operator: `${s}-rhein`,
      model: TEST_MODEL,
      effectiveFrom: new Date(Date.now() + 3_600_000 + n * 1000).toISOString(),
      retail: price,
      wholesale: price,
    }),
    allow: ADMIN,
  },
  'sites.list': { kind: 'query', input: () => ({}), allow: OPERATORS_AND_ADMIN },
  'sites.allowedEndpoints': { kind: 'query', input: () => ({}), allow: OPERATORS_AND_ADMIN },
  'sites.setAllowedEndpoints': {
    kind: 'mutation',
    input: (s) => ({ operator: `${s}-rhein`, allowedEndpoints: ['http://127.0.0.1'] }),
    allow: ADMIN,
  },
  'sites.health': { kind: 'query', input: () => ({}), allow: OPERATORS_AND_ADMIN },
  // the site belongs to `operator`; `otherOperator` registering it for `operator` is refused
  'sites.register': {
    kind: 'mutation',
    input: (s, n) => newSite(s, `${s}-new-${n}`),
    allow: { operator: 200, otherOperator: 403, admin: 200 },
  },
  'sites.update': {
    kind: 'mutation',
    input: (s) => ({ siteId: `${s}-fra`, patch: { city: 'Frankfurt am Main' } }),
    allow: OWNER_SCOPED,
  },
  'sites.drain': {
    kind: 'mutation',
    input: (s) => ({ siteId: `${s}-tyo` }),
    allow: { operator: 404, otherOperator: 404, admin: 200 },
  },
  'sites.undrain': { kind: 'mutation', input: (s) => ({ siteId: `${s}-fra` }), allow: OWNER_SCOPED },
};

/**
 * The API's plain HTTP routes that take credentials (exchange files, not tRPC): the statement's
 * parties and admins read them, tenants never. `path` is built once the fixture statement exists.
 */
const EXCHANGE_PARTIES = {
  tenant: 403,
  otherTenant: 403,
  operator: 200,
  otherOperator: 200,
  admin: 200,
} as const;
const HTTP_ROUTES: Record<
  string,
  { path: () => string; allow: Partial<Record<Exclude<Caller, 'none'>, Outcome>> }
> = {
  'GET /exchange/statements/:id/files': {
    path: () => `/exchange/statements/${encodeURIComponent(fixture.statementId)}/files`,
    allow: EXCHANGE_PARTIES,
  },
  'GET /exchange/statements/:id/files/:name': {
    path: () => `/exchange/statements/${encodeURIComponent(fixture.statementId)}/files/usage-report.csv`,
    allow: EXCHANGE_PARTIES,
  },
  'GET /exchange/statements/:id/files/:name.jws': {
    path: () => `/exchange/statements/${encodeURIComponent(fixture.statementId)}/files/statement.json.jws`,
    allow: EXCHANGE_PARTIES,
  },
};

function flatten(record: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(record).flatMap(([k, v]) =>
    typeof v === 'function' ? [`${prefix}${k}`] : flatten(v as Record<string, unknown>, `${prefix}${k}.`),
  );
}

describe('authorisation matrix', () => {
  const s = uniqueSuffix();
  let fed: Federation;
  const tokens = new Map<Caller, string | null>();

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), { settlement: { periodMs: 2000, graceMs: 200 } });
    // one roaming request (rhein's tenant at albion's Stockholm site) in a period that then closes
    await excludeSitesFor(fed, `${s}-eu`, [`${s}-par`, `${s}-fra`]);
    const served = await fed.call(
      'inference.complete',
      chat('authz-fixture'),
      await fed.token('tenant', `${s}-eu`),
    );
    expect(served.body.result.data.route.siteId).toBe(`${s}-sto`);
    // the period the record belongs to (by its own time, which may differ from "now" at a boundary)
    const [record] = await fed.ledger.listUsage(`${s}-eu`, { limit: 1 });
    const period = periodOf(Date.parse(record!.completedAt), 2000);
    await sleep(period.endMs + 250 - Date.now());
    const settled = await fed.settle(period.id);
    const statement = settled.statements[0]!;
    Object.assign(fixture, {
      statementId: statement.statementId,
      periodId: period.id,
      jws: statement.jws,
      recordRef: (await lineRefs(fed, statement.statementId, 1))[0]!,
    });
    // sites.register needs the endpoint on the operator's allow-list
    await fed.registry.update((t) => ({
      topology: {
        ...t,
        operators: t.operators.map((o) => ({ ...o, allowedEndpoints: ['http://127.0.0.1'] })),
      },
      result: null,
    }));
    tokens.set('none', null);
    tokens.set('tenant', await fed.token('tenant', `${s}-eu`));
    tokens.set('otherTenant', await fed.token('tenant', `${s}-fr`));
    tokens.set('operator', await fed.token('operator', `${s}-rhein`));
    tokens.set('otherOperator', await fed.token('operator', `${s}-albion`));
    tokens.set('admin', await fed.token('admin', 'root@federation'));
  });
  afterAll(async () => fed?.close());

  it('has a row for every procedure the API exposes, and none for one it does not', () => {
    const procedures = flatten(appRouter._def.record).sort();
    expect(Object.keys(MATRIX).sort()).toEqual(procedures);
  });

  let n = 0;
  const cases = Object.entries(MATRIX).flatMap(([path, row]) =>
    CALLERS.map((caller) => [path, caller, caller === 'none' ? 401 : (row.allow[caller] ?? 403)] as const),
  );

  it.each(cases)('%s as %s → %s', async (path, caller, expected) => {
    const row = MATRIX[path]!;
    const input = row.input(s, n++, caller);
    const res = await fed.call(path, input, tokens.get(caller), {
      method: row.kind === 'query' ? 'GET' : 'POST',
    });
    if (res.status !== expected)
      throw new Error(
        `${path} as ${caller}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
      );
    expect(res.status).toBe(expected);
  });

  const httpCases = Object.entries(HTTP_ROUTES).flatMap(([route, row]) =>
    CALLERS.map((caller) => [route, caller, caller === 'none' ? 401 : (row.allow[caller] ?? 403)] as const),
  );

  it.each(httpCases)('%s as %s → %s', async (route, caller, expected) => {
    const token = tokens.get(caller);
    const res = await fetch(`${fed.api.url}${HTTP_ROUTES[route]!.path()}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (res.status !== expected)
      throw new Error(
        `${route} as ${caller}: expected ${expected}, got ${res.status} ${(await res.text()).slice(0, 300)}`,
      );
    expect(res.status).toBe(expected);
  });
});
