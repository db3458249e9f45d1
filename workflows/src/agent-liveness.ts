/**
 * Site-agent liveness: every running agent refreshes its site's entry about once a second, and a
 * site whose entry is older than AGENT_TTL_MS has no live agent, so routing skips it (`NO_AGENT`)
 * instead of waiting for Temporal's schedule-to-start timeout. One sorted set (site → last beat),
 * stamped and read with Redis's own clock so workers' clocks never disagree about freshness.
 */
import type { Cluster, Redis } from 'ioredis';

export const AGENTS_KEY = 'federa:agents';
/** site → the data-plane URL of the agent process that hosts it (the API streams to it) */
export const AGENT_ENDPOINTS_KEY = 'federa:agent-endpoints';
/** an agent that has not beaten for this long is gone (a few missed beats, so a busy event loop does not flap it) */
export const AGENT_TTL_MS = 5_000;
export const AGENT_HEARTBEAT_MS = 1_000;
/** entries of sites nobody hosts any more are dropped after this long */
const FORGET_AFTER_MS = 3_600_000;

const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const BEAT_LUA = `${NOW_MS}
for i = 1, #ARGV do redis.call('ZADD', KEYS[1], now, ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${FORGET_AFTER_MS})
return now`;

const LIVE_LUA = `${NOW_MS}
local ttl = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local beat = redis.call('ZSCORE', KEYS[1], ARGV[i])
  out[i - 1] = (beat and now - tonumber(beat) <= ttl) and 1 or 0
end
return out`;

interface LivenessCommands {
  federaAgentBeat(key: string, ...siteIds: string[]): Promise<number>;
  federaAgentLive(key: string, ttl: string, ...siteIds: string[]): Promise<number[]>;
}

export class AgentLiveness {
  constructor(
    private readonly redis: Redis | Cluster,
    readonly ttlMs = AGENT_TTL_MS,
  ) {
    if (!('federaAgentBeat' in redis)) {
      redis.defineCommand('federaAgentBeat', { numberOfKeys: 1, lua: BEAT_LUA });
      redis.defineCommand('federaAgentLive', { numberOfKeys: 1, lua: LIVE_LUA });
    }
  }

  private get commands(): LivenessCommands {
    return this.redis as unknown as LivenessCommands;
  }

  /** Mark these sites' agents alive now. */
  async beat(siteIds: readonly string[]): Promise<void> {
    if (siteIds.length > 0) await this.commands.federaAgentBeat(AGENTS_KEY, ...siteIds);
  }

  /** An agent stopped on purpose: its site stops being routed to at once, not after the TTL. */
  async forget(siteIds: readonly string[]): Promise<void> {
    if (siteIds.length > 0) await this.redis.zrem(AGENTS_KEY, ...siteIds);
  }

  /** Where these sites' agent takes data-plane requests. */
  async publishEndpoint(siteIds: readonly string[], url: string): Promise<void> {
    if (siteIds.length > 0) await this.redis.hset(AGENT_ENDPOINTS_KEY, ...siteIds.flatMap((id) => [id, url]));
  }

  /** Stop advertising these sites, unless another process advertises them by now. */
  async withdrawEndpoint(siteIds: readonly string[], url: string): Promise<void> {
    const current = siteIds.length ? await this.redis.hmget(AGENT_ENDPOINTS_KEY, ...siteIds) : [];
    const mine = siteIds.filter((_, i) => current[i] === url);
    if (mine.length > 0) await this.redis.hdel(AGENT_ENDPOINTS_KEY, ...mine);
  }

  /** The data-plane URL of each site's agent (absent: none advertised). */
  async endpoints(siteIds: readonly string[]): Promise<Map<string, string>> {
    if (siteIds.length === 0) return new Map();
    const urls = await this.redis.hmget(AGENT_ENDPOINTS_KEY, ...siteIds);
    return new Map(siteIds.flatMap((id, i) => (urls[i] ? [[id, urls[i]] as [string, string]] : [])));
  }

  /** The sites among `siteIds` that have no live agent. */
  async withoutAgent(siteIds: readonly string[]): Promise<Set<string>> {
    if (siteIds.length === 0) return new Set();
    const live = await this.commands.federaAgentLive(AGENTS_KEY, String(this.ttlMs), ...siteIds);
    return new Set(siteIds.filter((_, i) => live[i] !== 1));
  }
}
