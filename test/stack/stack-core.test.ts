/**
 * The production-like stack as an application meets it: the official `openai` client through
 * HAProxy, two API replicas, two Temporal server processes on PostgreSQL, the 3 + 3 Redis Cluster,
 * and sites in their own network namespaces behind WAN delays. Residency, the ledger and the
 * records are checked on what the stack actually did, read back through the API.
 */
import { connect } from 'node:net';
import OpenAI from 'openai';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { mintToken, readSigningKey, type Role } from '@federa/auth';
import { connectRedis } from '@federa/redis';
import { Observations } from '@federa/workflows';
import { STACK_SITES } from '../../scripts/stack/layout';

const MODEL = 'llama-3.1-8b';
/** which jurisdictions each stack tenant's data may reach (deploy/dev/topology.json's residency) */
const RESIDENCY: Record<string, readonly string[]> = {
  'acme-eu': ['DE', 'FR'],
  'bleu-sante': ['FR'],
  globex: ['DE', 'FR', 'US', 'JP'],
};

const token = (role: Role, subject: string) =>
  mintToken({ privateJwk: readSigningKey(inject('stackSigningKeyFile')), role, subject });

async function trpcQuery(path: string, bearer: string, input?: unknown): Promise<any> {
  const q = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await fetch(`${inject('stackApiUrl')}/trpc/${path}${q}`, {
    headers: { authorization: `Bearer ${bearer}` },
  });
  const body = (await res.json()) as any;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body.error?.message)}`);
  return body.result.data;
}

/** TCP connect time from the core to a site's endpoint: one round trip on the WAN link */
function connectMs(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(performance.now() - t0);
    });
    socket.once('error', reject);
  });
}

describe('the production-like stack', () => {
  const clients = new Map<string, OpenAI>();
  const served = new Map<string, { tenant: string; site: string; jurisdiction: string }>();

  beforeAll(async () => {
    for (const tenant of Object.keys(RESIDENCY))
      clients.set(
        tenant,
        new OpenAI({
          apiKey: await token('tenant', tenant),
          baseURL: `${inject('stackApiUrl')}/v1`,
          maxRetries: 0,
        }),
      );
  });

  it('serves every tenant through the load balancer, only where its data may go', async () => {
    for (const [tenant, client] of clients) {
      for (let i = 0; i < 6; i++) {
        const { data, response } = await client.chat.completions
          .create({
            model: MODEL,
            messages: [{ role: 'user', content: `stack check ${tenant} ${i}` }],
            max_tokens: 16,
          })
          .withResponse();
        expect(data.usage!.completion_tokens).toBe(16);
        const jurisdiction = response.headers.get('x-federa-jurisdiction')!;
        expect(RESIDENCY[tenant]).toContain(jurisdiction);
        served.set(response.headers.get('x-request-id')!, {
          tenant,
          site: response.headers.get('x-federa-site')!,
          jurisdiction,
        });
      }
    }
    expect(served.size).toBe(6 * clients.size);
  });

  it('streams through HAProxy chunk by chunk', async () => {
    const stream = await clients.get('globex')!.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'stream through the proxy' }],
      max_tokens: 64,
      stream: true,
      stream_options: { include_usage: true },
    });
    let chunks = 0;
    let usage: number | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) chunks++;
      if (chunk.usage) usage = chunk.usage.completion_tokens;
    }
    expect(chunks).toBeGreaterThan(1);
    expect(usage).toBe(64);
  });

  it('records each served request exactly once, in the jurisdiction it was served in', async () => {
    for (const tenant of Object.keys(RESIDENCY)) {
      const bearer = await token('tenant', tenant);
      const { records } = (await trpcQuery('usage.list', bearer, { limit: 200 })) as {
        records: { requestId: string; jurisdiction: string; siteId: string }[];
      };
      const mine = [...served].filter(([, s]) => s.tenant === tenant);
      for (const [requestId, s] of mine) {
        const found = records.filter((r) => r.requestId === requestId);
        expect(found, `${tenant} ${requestId}`).toHaveLength(1);
        expect(found[0]).toMatchObject({ siteId: s.site, jurisdiction: s.jurisdiction });
      }
      for (const r of records) expect(RESIDENCY[tenant]).toContain(r.jurisdiction);
      const summary = await trpcQuery('usage.summary', bearer);
      // nothing is held once every answer is in (holds are settled by the post)
      expect(summary.holdsInFlight).toEqual([]);
    }
  });

  it.skipIf(!inject('stackWithNetworkDelay'))(
    'puts each site behind the WAN delay of its distance from the core',
    async () => {
      const rtts: number[] = [];
      for (const site of STACK_SITES) {
        const samples: number[] = [];
        for (let i = 0; i < 3; i++) samples.push(await connectMs(site.address, 9800));
        const best = Math.min(...samples);
        // a TCP connect is one round trip: never faster than the link's configured delay
        expect(best, site.id).toBeGreaterThanOrEqual(site.rttMs * 0.95);
        rtts.push(best);
      }
      expect([...rtts].sort((a, b) => a - b)).toEqual(rtts);
    },
  );

  it.skipIf(!inject('stackWithNetworkDelay'))(
    "ranks sites on the round trip the API measured through each site's WAN link",
    async () => {
      const redis = connectRedis(inject('redisUrl'));
      try {
        const observations = new Observations(redis);
        let sampled = 0;
        // the dev topology's tenant regions (acme-eu: eu-central, bleu-sante: eu-west, globex: us-east)
        for (const region of ['eu-central', 'eu-west', 'us-east']) {
          const latency = await observations.latency(
            region,
            STACK_SITES.map((s) => s.id),
          );
          for (const site of STACK_SITES) {
            const seen = latency.get(site.id);
            if (!seen) continue;
            sampled++;
            // every sample includes the link's round trip: the average cannot be below it
            expect(seen.rttEwmaMs, `${region} → ${site.id}`).toBeGreaterThanOrEqual(site.rttMs);
          }
        }
        expect(sampled).toBeGreaterThan(0);
      } finally {
        redis.disconnect();
      }
    },
  );
});
