import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { agentMetrics, routingMetrics } from '@federa/telemetry';
import type { GrantAnswer } from '@federa/workflows';
import { countedAsk, countRequest, observeSiteTtft, type AgentServerMetrics } from './agent-metrics';

function metrics(): AgentServerMetrics {
  const registry = new Registry();
  return { agent: agentMetrics(registry), residencyRefusals: routingMetrics(registry).residencyRefusals };
}

const values = async (m: { get(): Promise<{ values: { labels: object; value: number }[] }> }) =>
  (await m.get()).values.map((v) => ({ labels: v.labels, value: v.value }));

describe('site agent metrics', () => {
  it('counts a request by site, kind and code; a residency refusal also as a refusal', async () => {
    const m = metrics();
    countRequest(m, 'sto', 'chat', 'OK');
    countRequest(m, 'sto', 'chat', 'RESIDENCY_VIOLATION');
    countRequest(undefined, 'sto', 'chat', 'OK'); // no metrics: nothing, no error
    expect(await values(m.agent.requests)).toEqual([
      { labels: { site: 'sto', kind: 'chat', code: 'OK' }, value: 1 },
      { labels: { site: 'sto', kind: 'chat', code: 'RESIDENCY_VIOLATION' }, value: 1 },
    ]);
    expect(await values(m.residencyRefusals)).toEqual([
      { labels: { code: 'RESIDENCY_VIOLATION' }, value: 1 },
    ]);
  });

  it('observes the site TTFT in seconds and ignores a time that is not one', async () => {
    const m = metrics();
    observeSiteTtft(m, 'sto', 250);
    observeSiteTtft(m, 'sto', Number.NaN);
    observeSiteTtft(m, 'sto', -1);
    const hist = (await m.agent.siteTimeToFirstToken.get()).values;
    expect(hist.find((v) => v.metricName === 'federa_agent_site_ttft_seconds_count')!.value).toBe(1);
    expect(hist.find((v) => v.metricName === 'federa_agent_site_ttft_seconds_sum')!.value).toBe(0.25);
  });

  it('counts each slice asked for by its answer; no answer counts as refused and still fails', async () => {
    const m = metrics();
    const answers: (() => Promise<GrantAnswer>)[] = [
      () => Promise.resolve({ grantedTokens: 200 }),
      () => Promise.resolve({ grantedTokens: 200, refused: 'BUDGET_EXCEEDED' }),
      () => Promise.reject(new Error('update failed')),
    ];
    const ask = countedAsk(m, 'sto', () => answers.shift()!())!;
    await ask(1, 100);
    await ask(2, 100);
    await expect(ask(3, 100)).rejects.toThrow('update failed');
    expect(await values(m.agent.grantSlices)).toEqual([
      { labels: { site: 'sto', result: 'granted' }, value: 1 },
      { labels: { site: 'sto', result: 'refused' }, value: 2 },
    ]);
    expect(countedAsk(undefined, 'sto', undefined)).toBeUndefined();
  });
});
