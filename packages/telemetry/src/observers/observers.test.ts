import { describe, expect, it } from 'vitest';
import { ledgerMetrics, requestMetrics, routingMetrics } from '../metrics/catalogue';
import { createProcessRegistry } from '../metrics/registry';
import { ledgerObserver } from './ledger-observer';
import { routingObserver } from './routing-observer';

async function series(
  registry: ReturnType<typeof createProcessRegistry>,
  name: string,
): Promise<Record<string, string | number | undefined>[]> {
  return (await registry.getSingleMetric(name)!.get()).values.map((v) => ({ ...v.labels, value: v.value }));
}

describe('the ledger observer', () => {
  it('counts operations by op and result, refusals by code, and times each op', async () => {
    const registry = createProcessRegistry('api');
    const observer = ledgerObserver(ledgerMetrics(registry));
    observer.operation({ op: 'reserve', result: 'ok', seconds: 0.0004 });
    observer.operation({ op: 'reserve', result: 'refused', code: 'BUDGET_EXCEEDED', seconds: 0.0003 });
    observer.operation({ op: 'post', result: 'error', seconds: 0.2 });
    expect(await series(registry, 'federa_ledger_operations_total')).toEqual([
      { op: 'reserve', result: 'ok', value: 1 },
      { op: 'reserve', result: 'refused', value: 1 },
      { op: 'post', result: 'error', value: 1 },
    ]);
    expect(await series(registry, 'federa_ledger_refusals_total')).toEqual([
      { op: 'reserve', code: 'BUDGET_EXCEEDED', value: 1 },
    ]);
    const durations = await series(registry, 'federa_ledger_operation_duration_seconds');
    expect(durations.find((d) => d.op === 'reserve' && d.le === 0.0005)?.value).toBe(2);
  });

  const usage = { model: 'chat', siteId: 'par', inputTokens: 11, outputTokens: 7 };

  it('counts overage in minor units by currency and each flag of a posted record', async () => {
    const registry = createProcessRegistry('api');
    const observer = ledgerObserver(ledgerMetrics(registry));
    observer.posted({ usage, overage: 0, currency: 'EUR', flags: [] });
    observer.posted({ usage, overage: 1_250, currency: 'EUR', flags: ['OVERAGE', 'FAILOVER'] });
    expect(await series(registry, 'federa_ledger_overage_minor_total')).toEqual([
      { currency: 'EUR', value: 1_250 },
    ]);
    expect(await series(registry, 'federa_usage_flags_total')).toEqual([
      { flag: 'OVERAGE', value: 1 },
      { flag: 'FAILOVER', value: 1 },
    ]);
  });
});

describe('billed tokens', () => {
  it('are counted per posted record, by direction, model and site, where request metrics are kept', async () => {
    const registry = createProcessRegistry('api');
    const observer = ledgerObserver(ledgerMetrics(registry), requestMetrics(registry).tokens);
    observer.posted({
      usage: { model: 'chat', siteId: 'par', inputTokens: 11, outputTokens: 7 },
      overage: 0,
      currency: 'EUR',
      flags: [],
    });
    observer.posted({
      usage: { model: 'embed', siteId: 'par', inputTokens: 5, outputTokens: 0 },
      overage: 0,
      currency: 'EUR',
      flags: [],
    });
    expect(await series(registry, 'federa_tokens_total')).toEqual([
      { model: 'chat', site: 'par', direction: 'input', value: 11 },
      { model: 'chat', site: 'par', direction: 'output', value: 7 },
      { model: 'embed', site: 'par', direction: 'input', value: 5 },
    ]);
  });

  it('are not counted by a process without request metrics', async () => {
    const registry = createProcessRegistry('worker');
    const observer = ledgerObserver(ledgerMetrics(registry));
    observer.posted({
      usage: { model: 'chat', siteId: 'par', inputTokens: 11, outputTokens: 7 },
      overage: 0,
      currency: 'EUR',
      flags: [],
    });
    expect(registry.getSingleMetric('federa_tokens_total')).toBeUndefined();
  });
});

describe('the routing observer', () => {
  it('counts decisions per site and jurisdiction, and residency refusals by code', async () => {
    const registry = createProcessRegistry('api');
    const observer = routingObserver(routingMetrics(registry));
    observer.routed({ siteId: 'par', jurisdiction: 'FR' });
    observer.routed({ siteId: 'par', jurisdiction: 'FR' });
    observer.residencyRefused('NO_ELIGIBLE_SITE');
    expect(await series(registry, 'federa_route_decisions_total')).toEqual([
      { site: 'par', jurisdiction: 'FR', value: 2 },
    ]);
    expect(await series(registry, 'federa_residency_refusals_total')).toEqual([
      { code: 'NO_ELIGIBLE_SITE', value: 1 },
    ]);
  });
});
