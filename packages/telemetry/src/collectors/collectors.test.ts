import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ledgerMetrics, settlementMetrics } from '../metrics/catalogue';
import { LabelCap } from '../metrics/registry';
import { ledgerCollector, ledgerGaugeRows, type TenantLedgerReading } from './ledger';
import { circuitValue, siteLatencySeconds } from './routing';
import {
  latestPerPair,
  settlementCollector,
  settlementLagSeconds,
  type StatementSummary,
} from './settlement';
import { runCollectors } from './scrape';

const reading = (tenantId: string, r: Partial<TenantLedgerReading> = {}): TenantLedgerReading => ({
  tenantId,
  currency: 'EUR',
  budget: 10_000,
  spent: 0,
  held: 0,
  pendingCount: 0,
  firstExpiresAt: null,
  ...r,
});

describe('ledger gauge rows', () => {
  const NOW = 1_000_000;
  const TTL = 600_000;

  it('gives each tenant its holds, money, oldest hold age and utilisation', () => {
    const rows = ledgerGaugeRows(
      [reading('a', { spent: 2_000, held: 500, pendingCount: 2, firstExpiresAt: NOW + TTL - 30_000 })],
      new LabelCap(10),
      NOW,
      TTL,
    );
    expect(rows).toEqual([
      {
        tenant: 'a',
        pendingCount: 2,
        held: new Map([['EUR', 500]]),
        oldestAgeSeconds: 30,
        utilisation: 0.25,
      },
    ]);
  });

  it('folds tenants past the cap into "other": sums, per-currency money, the oldest hold, the highest utilisation', () => {
    const rows = ledgerGaugeRows(
      [
        reading('a', { pendingCount: 1, held: 100 }),
        reading('b', { pendingCount: 2, held: 200, spent: 9_000, firstExpiresAt: NOW + TTL - 5_000 }),
        reading('c', { pendingCount: 3, held: 300, currency: 'SEK', firstExpiresAt: NOW + TTL - 60_000 }),
      ],
      new LabelCap(1),
      NOW,
      TTL,
    );
    expect(rows.map((r) => r.tenant)).toEqual(['a', 'other']);
    const other = rows[1]!;
    expect(other.pendingCount).toBe(5);
    expect(other.held).toEqual(
      new Map([
        ['EUR', 200],
        ['SEK', 300],
      ]),
    );
    expect(other.oldestAgeSeconds).toBe(60);
    expect(other.utilisation).toBeCloseTo(0.92, 10);
  });

  it('reads a zero budget as full once anything is spent or held, never as a division by zero', () => {
    const [idle, used] = ledgerGaugeRows(
      [reading('idle', { budget: 0 }), reading('used', { budget: 0, held: 1 })],
      new LabelCap(10),
      NOW,
      TTL,
    );
    expect(idle!.utilisation).toBe(0);
    expect(used!.utilisation).toBe(1);
  });
});

describe('routing state', () => {
  it('averages a site’s per-region EWMAs by their samples, in seconds', () => {
    expect(
      siteLatencySeconds([
        { rttEwmaMs: 100, samples: 1 },
        { rttEwmaMs: 40, samples: 3 },
      ]),
    ).toBeCloseTo(0.055, 10);
    expect(siteLatencySeconds([])).toBeUndefined();
  });

  it('encodes the circuit as 0 closed, 2 open, 1 half-open once the cool-down is over', () => {
    expect(circuitValue(null, 10_000, 5_000)).toBe(0);
    expect(circuitValue(8_000, 10_000, 5_000)).toBe(2);
    expect(circuitValue(5_000, 10_000, 5_000)).toBe(1);
  });
});

const statement = (
  end: string,
  parties: [string, string],
  net: StatementSummary['payload']['net'],
  status = 'issued',
): StatementSummary => ({ status, payload: { period: { end }, settlementCurrency: 'EUR', parties, net } });

describe('settlement state', () => {
  const HOUR = 3_600_000;
  const GRACE = 300_000;

  it('is current (0) once the cursor reached the last period that could be settled, else behind by now − grace − cursor', () => {
    const now = 10 * HOUR + GRACE + 60_000;
    const at = (cursorMs: number | null) => [{ cursorMs, settleableEndMs: 10 * HOUR }];
    expect(settlementLagSeconds(now, GRACE, at(10 * HOUR))).toBe(0);
    expect(settlementLagSeconds(now, GRACE, at(9 * HOUR))).toBe(3_660);
    expect(settlementLagSeconds(now, GRACE, at(null))).toBe(0);
  });

  it('reports the worst schedule: a month behind outweighs an hourly schedule that is current', () => {
    const now = 10 * HOUR + GRACE + 60_000;
    const schedules = [
      { cursorMs: 10 * HOUR, settleableEndMs: 10 * HOUR },
      { cursorMs: 2 * HOUR, settleableEndMs: 8 * HOUR },
      { cursorMs: null, settleableEndMs: 9 * HOUR },
    ];
    expect(settlementLagSeconds(now, GRACE, schedules)).toBe(8 * 3_600 + 60);
  });

  it('keeps the latest statement per pair, from payer to payee (the parties in order when nothing is owed)', () => {
    const pairs = latestPerPair([
      statement('2026-01-02T00:00:00.000Z', ['a', 'b'], { payer: 'b', payee: 'a', amount: 70 }),
      statement('2026-01-01T00:00:00.000Z', ['a', 'b'], { payer: 'a', payee: 'b', amount: 10 }),
      statement('2026-01-01T00:00:00.000Z', ['a', 'c'], { payer: null, payee: null, amount: 0 }),
    ]);
    expect(pairs).toEqual([
      { from: 'b', to: 'a', currency: 'EUR', periodEndSeconds: Date.parse('2026-01-02') / 1000, amount: 70 },
      { from: 'a', to: 'c', currency: 'EUR', periodEndSeconds: Date.parse('2026-01-01') / 1000, amount: 0 },
    ]);
  });

  it('replaces the pair gauges on each collection (a pair whose direction flipped keeps one series)', async () => {
    const registry = new Registry();
    const metrics = settlementMetrics(registry);
    let statements = [
      statement('2026-01-01T00:00:00.000Z', ['a', 'b'], { payer: 'a', payee: 'b', amount: 5 }),
    ];
    const collect = settlementCollector({
      metrics,
      source: {
        recentStatements: async () => statements,
        schedules: async () => [],
        graceMs: GRACE,
      },
    });
    await collect();
    statements = [
      statement('2026-01-02T00:00:00.000Z', ['a', 'b'], { payer: 'b', payee: 'a', amount: 9 }, 'accepted'),
      ...statements,
    ];
    await collect();
    expect((await metrics.amount.get()).values).toEqual([
      { labels: { from_operator: 'b', to_operator: 'a', currency: 'EUR' }, value: 9 },
    ]);
    const states = Object.fromEntries(
      (await metrics.statements.get()).values.map((v) => [v.labels.state, v.value]),
    );
    expect(states).toMatchObject({ issued: 1, accepted: 1, disputed: 0 });
  });
});

describe('runCollectors', () => {
  it('reports a failing collector and keeps its last values, while the others still run', async () => {
    const registry = new Registry();
    const metrics = ledgerMetrics(registry);
    let fail = false;
    const collect = ledgerCollector({
      metrics,
      maxTenants: 10,
      clock: () => 0,
      source: {
        topology: async () => ({
          topology: {
            tenants: [{ id: 'a', homeOperator: 'op' }],
            operators: [{ id: 'op', currency: 'EUR' }],
            routing: { holdTtlMs: 1_000 },
          },
        }),
        account: async () => {
          if (fail) throw new Error('redis away');
          return { budget: 100, posted: 10, overage: 0, pending: 40 };
        },
        pendingSummary: async () => ({ count: 4, firstExpiresAt: 1_000 }),
      },
    });
    const errors: string[] = [];
    let otherRan = 0;
    const scrape = runCollectors(
      {
        ledger: collect,
        other: async () => {
          otherRan++;
        },
      },
      (_err, name) => errors.push(name),
    );
    await scrape();
    fail = true;
    await scrape();
    expect(errors).toEqual(['ledger']);
    expect(otherRan).toBe(2);
    expect((await metrics.holdsPending.get()).values).toEqual([{ labels: { tenant: 'a' }, value: 4 }]);
    expect((await metrics.holdsPendingAmount.get()).values).toEqual([
      { labels: { tenant: 'a', currency: 'EUR' }, value: 40 },
    ]);
    expect((await metrics.budgetUtilisation.get()).values[0]!.value).toBeCloseTo(0.5, 10);
  });
});
