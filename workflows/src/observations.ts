/**
 * Live routing inputs kept in Redis: latency EWMAs per (client region, site) and in-flight counts per
 * site. They are advisory (a lost update only shifts a score), so plain commands suffice here.
 */
import type { Cluster, Redis } from 'ioredis';
import type { SiteObservation } from '@federa/domain';

/** Weight of a new sample in the latency EWMA. */
export const EWMA_ALPHA = 0.2;

const latencyKey = (region: string) => `federa:latency:${region}`;
const INFLIGHT_KEY = 'federa:inflight';

// read-modify-write in one script so concurrent samples don't overwrite each other
const EWMA_LUA = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
local s, a = tonumber(ARGV[2]), tonumber(ARGV[3])
if v then
  local e, n = string.match(v, '^([^|]+)|([^|]+)$')
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%.3f|%d', a * s + (1 - a) * tonumber(e), tonumber(n) + 1))
else
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%.3f|1', s))
end
return 1`;

interface EwmaCommand {
  federaEwma(key: string, siteId: string, sample: string, alpha: string): Promise<number>;
}

export class Observations {
  constructor(private readonly redis: Redis | Cluster) {
    if (!('federaEwma' in redis)) redis.defineCommand('federaEwma', { numberOfKeys: 1, lua: EWMA_LUA });
  }

  async latency(region: string, siteIds: readonly string[]): Promise<Map<string, SiteObservation>> {
    const out = new Map<string, SiteObservation>();
    if (siteIds.length === 0) return out;
    const values = await this.redis.hmget(latencyKey(region), ...siteIds);
    siteIds.forEach((id, i) => {
      const [ewma, samples] = (values[i] ?? '').split('|');
      if (ewma && samples) out.set(id, { rttEwmaMs: Number(ewma), samples: Number(samples) });
    });
    return out;
  }

  /**
   * One latency sample, as the federation measured it on its own clock, never from a figure a site or
   * its agent sends (a site cannot report its way to a better rank): on the data plane the API's time
   * from sending the request to the site's agent to the first completion byte back (WAN both ways,
   * agent, site), once per served request; on the legacy Temporal-dispatched path the agent's own
   * time to the site. A sample that is not a finite, non-negative time is dropped.
   */
  async recordLatency(region: string, siteId: string, sampleMs: number): Promise<void> {
    if (!Number.isFinite(sampleMs) || sampleMs < 0) return;
    await (this.redis as unknown as EwmaCommand).federaEwma(
      latencyKey(region),
      siteId,
      String(sampleMs),
      String(EWMA_ALPHA),
    );
  }

  async inflight(siteIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (siteIds.length === 0) return out;
    const values = await this.redis.hmget(INFLIGHT_KEY, ...siteIds);
    siteIds.forEach((id, i) => out.set(id, Math.max(0, Number(values[i] ?? 0))));
    return out;
  }

  async adjustInflight(siteId: string, delta: number): Promise<void> {
    await this.redis.hincrby(INFLIGHT_KEY, siteId, delta);
  }
}
