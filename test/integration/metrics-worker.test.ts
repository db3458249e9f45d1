/**
 * The worker process's /metrics, scraped over HTTP from a spawned worker (the real app, with
 * FEDERA_METRICS_PORT=0) and parsed with a real exposition-format parser: its site agents' request
 * and TTFT series move by exactly one per relayed request, the ledger, routing and settlement state
 * gauges follow Redis, and the Temporal SDK's own worker metrics come through the same registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPendingSummary } from '@federa/ledger';
import { periodOf } from '@federa/settlement';
import { AGENT_CHAT_PATH, AgentLiveness, requestWorkflowId } from '@federa/workflows';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { scrape } from '../support/metrics-scrape';
import { issueStatement } from '../support/settlement-fixtures';
import { TEST_MODEL, testTopology } from '../support/topology';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';

const DAY = 86_400_000;
const GRACE = 60_000;

describe('the worker process’s metrics endpoint', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const best = `${s}-sto`;
  let fed: Federation;
  let worker: WorkerProcess;
  let url: string;
  let agentUrl: string;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), {
      workers: 'none',
      settlement: { periodMs: DAY, graceMs: GRACE },
    });
    worker = spawnWorker(fed, {
      FEDERA_SETTLEMENT_PERIOD_MS: String(DAY),
      FEDERA_SETTLEMENT_GRACE_MS: String(GRACE),
      FEDERA_PROBE_INTERVAL_MS: '200',
    });
    await worker.ready;
    url = await worker.metricsUrl;
    const pinned = await fed.call(
      'policy.set',
      { weights: { latency: 0, load: 0, price: 1 }, preferHome: { mode: 'off', marginMs: 0 } },
      await fed.token('admin', 'metrics-worker'),
    );
    expect(pinned.status).toBe(200);
    const liveness = new AgentLiveness(fed.redis);
    let endpoints = await liveness.endpoints([best]);
    while (!endpoints.has(best)) endpoints = await liveness.endpoints([best]);
    agentUrl = endpoints.get(best)!;
  }, 120_000);
  afterAll(async () => {
    await worker?.kill('SIGTERM');
    await fed?.close();
  });

  it('listens on loopback and serves the text format', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const metrics = await scrape(url);
    expect(metrics.value('federa_build_info', { process: 'worker' })).toBe(1);
  });

  it('counts a chat request relayed by the site agent once, with one site TTFT observation', async () => {
    const labels = { site: best, kind: 'chat', code: 'OK' };
    const before = await scrape(url);
    const stream = await fed.dataPlane.serveChat({
      tenantId: eu,
      requestId: `metrics-chat-${s}`,
      model: TEST_MODEL,
      messages: [{ role: 'user', content: 'Count me.' }],
      sampling: {},
      signal: new AbortController().signal,
    });
    for await (const piece of stream.deltas) expect(typeof piece).toBe('string');
    await stream.outcome;
    expect(stream.admission.siteId).toBe(best);
    const after = await scrape(url);
    expect(after.value('federa_agent_requests_total', labels)).toBe(
      before.value('federa_agent_requests_total', labels) + 1,
    );
    const ttft = { site: best };
    expect(after.value('federa_agent_site_ttft_seconds_count', ttft)).toBe(
      before.value('federa_agent_site_ttft_seconds_count', ttft) + 1,
    );
    expect(after.value('federa_agent_site_ttft_seconds_sum', ttft)).toBeGreaterThan(
      before.value('federa_agent_site_ttft_seconds_sum', ttft),
    );
  });

  it('counts an agent’s residency refusal', async () => {
    const before = await scrape(url);
    const res = await fetch(`${agentUrl}${AGENT_CHAT_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fed.agentToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ siteId: best, allowedJurisdictions: ['FR'], workflowId: 'none' }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('RESIDENCY_VIOLATION');
    const after = await scrape(url);
    const refused = { code: 'RESIDENCY_VIOLATION' };
    expect(after.value('federa_residency_refusals_total', refused)).toBe(
      before.value('federa_residency_refusals_total', refused) + 1,
    );
    const counted = { site: best, kind: 'chat', code: 'RESIDENCY_VIOLATION' };
    expect(after.value('federa_agent_requests_total', counted)).toBe(
      before.value('federa_agent_requests_total', counted) + 1,
    );
  });

  it('shows a hold reserved on the ledger in the tenant’s pending holds and money, and drops it once voided', async () => {
    // a tenant no other test of this file sends requests for
    const tenant = `${s}-fr`;
    const ttl = (await fed.registry.snapshot()).topology.routing.holdTtlMs;
    await fed.ledger.reserve({
      tenantId: tenant,
      requestId: `metrics-hold-${s}`,
      amount: 1234,
      expiresAt: Date.now() + ttl,
    });
    expect(await readPendingSummary(fed.redis, tenant)).toMatchObject({ count: 1 });
    const held = await scrape(url);
    expect(held.value('federa_ledger_holds_pending', { tenant })).toBe(1);
    expect(held.samples('federa_ledger_holds_pending_minor', { tenant })).toEqual([
      { labels: { tenant, currency: 'EUR' }, value: 1234 },
    ]);
    const budget = fed.topology.tenant(tenant).budget;
    expect(held.value('federa_budget_utilisation_ratio', { tenant })).toBeCloseTo(1234 / budget, 9);
    expect(held.value('federa_ledger_hold_oldest_age_seconds', { tenant })).toBeGreaterThanOrEqual(0);

    await fed.ledger.void({ tenantId: tenant, requestId: `metrics-hold-${s}` });
    expect(await readPendingSummary(fed.redis, tenant)).toEqual({ count: 0, firstExpiresAt: null });
    const voided = await scrape(url);
    expect(voided.value('federa_ledger_holds_pending', { tenant })).toBe(0);
    expect(voided.value('federa_ledger_holds_pending_minor', { tenant })).toBe(0);
  });

  it('shows a site drained through the registry as draining, the others not', async () => {
    const site = `${s}-tyo`;
    const token = await fed.token('operator', fed.topology.site(site).operator);
    expect((await fed.call('sites.drain', { siteId: site }, token)).status).toBe(200);
    const drained = await scrape(url);
    expect(drained.value('federa_site_draining', { site })).toBe(1);
    expect(drained.value('federa_site_draining', { site: best })).toBe(0);
    expect(drained.value('federa_site_circuit_state', { site: best })).toBe(0);
    expect(drained.samples('federa_site_in_flight').map((x) => x.labels.site)).toContain(site);
  });

  it('shows the latest statement per operator pair, its amount, and a lag of 0 once settled', async () => {
    const [a, b] = [`${s}-albion`, `${s}-rhein`];
    const statement = await issueStatement(fed, `2020-01-01T00:00:00.000Z/${a}~${b}`, a, b);
    // the last period that has closed (ended before now − grace) is settled: settlement is current
    const last = periodOf(Date.now() - GRACE - DAY, DAY);
    await fed.settle(last.id);
    const metrics = await scrape(url);
    const pair = { from_operator: statement.net.payer!, to_operator: statement.net.payee! };
    expect(metrics.value('federa_settlement_last_period_end_timestamp_seconds', pair)).toBe(
      Date.parse(statement.period.end) / 1000,
    );
    expect(metrics.samples('federa_settlement_amount_minor', pair)).toEqual([
      { labels: { ...pair, currency: 'EUR' }, value: 1000 },
    ]);
    expect(metrics.value('federa_settlement_statements', { state: 'issued' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value('federa_settlement_lag_seconds')).toBe(0);
  });

  it('records health probes and Redis memory', async () => {
    await expect
      .poll(async () => (await scrape(url)).value('federa_site_probe_rtt_seconds_count', { site: best }))
      .toBeGreaterThan(0);
    expect((await scrape(url)).value('federa_redis_memory_used_bytes')).toBeGreaterThan(0);
  });

  it('exports the Temporal SDK’s worker metrics: task slots, poll latency, sticky cache', async () => {
    // a workflow on the control queue (only the spawned worker polls it) and its site activity
    const requestId = `metrics-temporal-${s}`;
    await fed.temporal.workflow.execute('requestWorkflow', {
      taskQueue: fed.controlTaskQueue,
      workflowId: requestWorkflowId(eu, requestId),
      args: [
        {
          tenantId: eu,
          requestId,
          model: TEST_MODEL,
          messages: [{ role: 'user', content: 'hi' }],
          maxTokens: 16,
        },
      ],
    });
    const metrics = await scrape(url);
    expect(
      metrics.value('temporal_worker_task_slots_available', { worker_type: 'WorkflowWorker' }),
    ).toBeGreaterThan(0);
    expect(metrics.names).toContain('temporal_long_request_latency');
    expect(metrics.names).toContain('temporal_sticky_cache_size');
    // core's names carry the prefix once
    expect([...metrics.names].some((n) => n.startsWith('temporal_temporal_'))).toBe(false);
  });
});
