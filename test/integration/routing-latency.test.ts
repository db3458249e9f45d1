/**
 * Latency-aware routing measured on real network time: the sample is the API's own clock, from
 * sending the request to the site's agent to the first completion byte back, so it holds the WAN
 * between the federation's core and the site, which the agent's own clock (agent → site) never sees.
 *
 * Two EU sites of one operator with equally fast emulators. Paris is nearer the London tenant on the
 * map (the prior ranks it first), but the API reaches its agent through a proxy that holds every
 * chunk DELAY_MS each way: a far site with a fast GPU. Frankfurt's agent is reached directly. The
 * weights are pinned to latency only, so nothing else can reorder the two.
 */
import { NativeConnection } from '@temporalio/worker';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LATENCY_SAMPLES_FOR_TRUST } from '@federa/domain';
import { EWMA_ALPHA, Observations, requestWorkflowId } from '@federa/workflows';
import { SiteAgents, parseAgentAssignment } from '@federa/worker';
import { startDelayProxy, type DelayProxy } from '../support/delay-proxy';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_EMBEDDING_MODEL, TEST_MODEL, testTopology } from '../support/topology';

/** the proxy's one-way delay: a served request crosses it at least twice before its first byte */
const DELAY_MS = 100;

interface Explained {
  candidates: { siteId: string; latencyMs: number; latencySource: string }[];
}

describe('latency-aware routing on the time the API measures', () => {
  const s = uniqueSuffix();
  const tenant = `${s}-eu`;
  const far = `${s}-par`;
  const near = `${s}-fra`;
  const sto = `${s}-sto`;
  let fed: Federation;
  let proxy: DelayProxy;
  let connection: NativeConnection;
  let farAgent: SiteAgents | undefined;
  let admin: string;
  let token: string;
  let region: string;

  beforeAll(async () => {
    proxy = await startDelayProxy(DELAY_MS);
    // every agent but Paris's runs in the federation's worker; Paris's is the test's, behind the proxy
    fed = await startFederation(testTopology(s), {
      siteAgents: `operator:${s}-albion,operator:${s}-pacific,${near}`,
    });
    connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    farAgent = await SiteAgents.start({
      connection,
      namespace: 'default',
      redis: fed.redis,
      topology: () => fed.registry.snapshot(),
      assignment: parseAgentAssignment(far),
      payloadKeys: fed.payloadKeys,
      syncIntervalMs: 200,
      dataPlane: { token: fed.agentToken, advertisedUrl: proxy.url },
    });
    proxy.forwardTo(farAgent.dataPlaneUrl!);
    admin = await fed.token('admin', 'routing-latency-suite');
    token = await fed.token('tenant', tenant);
    region = fed.topology.tenant(tenant).region;
  });
  afterAll(async () => {
    await farAgent?.close();
    await fed?.close();
    await connection?.close();
    await proxy?.close();
  });

  /** latency alone ranks; Stockholm (another operator, another price) is out, plus `without` */
  const pin = async (...without: string[]) => {
    const res = await fed.call(
      'policy.set',
      {
        weights: { latency: 1, load: 0, price: 0 },
        preferHome: { mode: 'off', marginMs: 0 },
        tenantOverrides: { [tenant]: { excludedSites: [sto, ...without] } },
      },
      admin,
    );
    expect(res.status).toBe(200);
  };
  const explain = async (model = TEST_MODEL): Promise<Explained> => {
    const res = await fed.call('routing.explain', { model }, token, { method: 'GET' });
    expect(res.status).toBe(200);
    return res.body.result.data as Explained;
  };
  const observed = async (siteId: string) =>
    (await new Observations(fed.redis).latency(region, [siteId])).get(siteId);
  /** served requests, each checked to have been served where expected */
  const serveAt = async (siteId: string, ids: readonly string[]) => {
    for (const id of ids) {
      const res = await fed.call('inference.complete', chat(id), token);
      expect(res.status).toBe(200);
      expect(res.body.result.data.route.siteId).toBe(siteId);
    }
  };
  const requestIds = (what: string) =>
    Array.from({ length: LATENCY_SAMPLES_FOR_TRUST }, (_, i) => `${s}-${what}-${i}`);

  it('ranks a far site by the WAN time the API measured, one sample per served request', async () => {
    await pin();
    // before any sample the map decides: Paris is nearer London than Frankfurt
    const prior = await explain();
    expect(prior.candidates.map((c) => c.siteId)).toEqual([far, near]);
    expect(prior.candidates.every((c) => c.latencySource === 'prior')).toBe(true);

    await pin(near);
    const farIds = requestIds('far');
    await serveAt(far, farIds);
    await pin(far);
    await serveAt(near, requestIds('near'));

    // inference.complete answers after the served workflow finished, so its own post (a replay of
    // the API's) has run too: a second sample from the control plane would show in the count
    const farObs = await observed(far);
    const nearObs = await observed(near);
    expect(farObs?.samples).toBe(LATENCY_SAMPLES_FOR_TRUST);
    expect(nearObs?.samples).toBe(LATENCY_SAMPLES_FOR_TRUST);
    // the agent's own clock (agent → site, a 2 ms emulator) would never see the proxy
    expect(farObs!.rttEwmaMs).toBeGreaterThanOrEqual(DELAY_MS);

    await pin();
    const measured = await explain();
    expect(measured.candidates.map((c) => c.siteId)).toEqual([near, far]);
    expect(measured.candidates.every((c) => c.latencySource === 'measured')).toBe(true);
    expect(measured.candidates[1]!.latencyMs).toBeGreaterThanOrEqual(DELAY_MS);
    await serveAt(near, [`${s}-after`]);
    expect((await observed(near))?.samples).toBe(LATENCY_SAMPLES_FOR_TRUST + 1);
    expect((await observed(far))?.samples).toBe(LATENCY_SAMPLES_FOR_TRUST);
  });

  it('samples an embeddings request once, through the WAN, to the agent’s whole answer', async () => {
    await pin(near);
    const created = await fed.call('keys.create', { name: 'routing-latency' }, token);
    expect(created.status).toBe(200);
    const client = new OpenAI({
      apiKey: created.body.result.data.secret as string,
      baseURL: `${fed.api.url}/v1`,
      maxRetries: 0,
    });
    const before = await observed(far);
    const requestId = `${s}-embed`;
    const res = await client.embeddings.create(
      { model: TEST_EMBEDDING_MODEL, input: ['bonjour'] },
      { headers: { 'Idempotency-Key': requestId } },
    );
    expect((res as unknown as { federa: { site: string } }).federa.site).toBe(far);
    // the workflow's own post (a replay of the API's) has run once the workflow is done
    await fed.temporal.workflow.getHandle(requestWorkflowId(tenant, requestId)).result();
    const after = await observed(far);
    expect(after?.samples).toBe((before?.samples ?? 0) + 1);
    // the one new sample, out of the moving average: the WAN both ways at least
    const sample = before
      ? (after!.rttEwmaMs - (1 - EWMA_ALPHA) * before.rttEwmaMs) / EWMA_ALPHA
      : after!.rttEwmaMs;
    expect(sample).toBeGreaterThanOrEqual(DELAY_MS);
  });

  it('still takes one sample, on the agent’s clock, for a draining Temporal-dispatched request', async () => {
    // nothing starts the old request workflow any more; its running histories drain through the
    // site's agent over Temporal (no API → agent hop), which samples its own time to the site
    await pin(far);
    const before = await observed(near);
    const requestId = `${s}-legacy`;
    const body = chat(requestId);
    const handle = await fed.temporal.workflow.start('requestWorkflow', {
      taskQueue: fed.controlTaskQueue,
      workflowId: requestWorkflowId(tenant, requestId),
      args: [{ tenantId: tenant, requestId, model: body.model, messages: body.messages, maxTokens: 16 }],
    });
    const result = (await handle.result()) as { route: { siteId: string } };
    expect(result.route.siteId).toBe(near);
    expect((await observed(near))?.samples).toBe((before?.samples ?? 0) + 1);
  });
});
