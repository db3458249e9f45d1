/**
 * Site health: a circuit breaker per site. Consecutive dispatch or probe failures open it (routing
 * then skips the site); after a cool-down the next successful health probe closes it again (the
 * half-open trial). State lives in Redis so every control worker routes on the same view.
 */
import type { Cluster, Redis } from 'ioredis';
import { AgentLiveness } from './agent-liveness';

export const HEALTH_KEY = 'federa:health';
export const FAILURES_TO_OPEN = 3;
export const COOL_DOWN_MS = 5_000;

// field value: failures|openedAtMs|lastProbeRttMs|lastChangeMs
const RECORD_LUA = `
local v = redis.call('HGET', KEYS[1], ARGV[1]) or '0|0|0|0'
local failures, opened, rtt, changed = string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
failures, opened = tonumber(failures), tonumber(opened)
local now, ok, threshold, cooldown = tonumber(ARGV[2]), ARGV[3] == '1', tonumber(ARGV[4]), tonumber(ARGV[5])
if ARGV[6] ~= '' then rtt = ARGV[6] end
if ok then
  -- while open, only a success after the cool-down closes the circuit
  if opened == 0 or now - opened >= cooldown then failures, opened, changed = 0, 0, now end
else
  failures = failures + 1
  if failures >= threshold and opened == 0 then opened, changed = now, now end
end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d|%d|%s|%s', failures, opened, rtt, changed))
return opened`;

interface HealthCommand {
  federaHealth(
    key: string,
    site: string,
    now: string,
    ok: string,
    threshold: string,
    cooldown: string,
    rtt: string,
  ): Promise<number>;
}

export interface SiteHealthState {
  readonly siteId: string;
  readonly circuit: 'closed' | 'open';
  readonly consecutiveFailures: number;
  readonly openedAt: string | null;
  readonly lastProbeRttMs: number | null;
}

/** The shared Redis's memory, as `INFO memory` reports it (the ledger refuses writes at the limit). */
export interface StoreMemory {
  readonly usedBytes: number;
  /** 0 = no limit */
  readonly maxBytes: number;
  readonly policy: string;
}

export class SiteHealth {
  /** which sites have a live agent (routing skips the others) */
  readonly agents: AgentLiveness;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly clock: () => number = Date.now,
  ) {
    this.agents = new AgentLiveness(redis);
    if (!('federaHealth' in redis)) redis.defineCommand('federaHealth', { numberOfKeys: 1, lua: RECORD_LUA });
  }

  async record(siteId: string, ok: boolean, probeRttMs?: number): Promise<void> {
    await (this.redis as unknown as HealthCommand).federaHealth(
      HEALTH_KEY,
      siteId,
      String(this.clock()),
      ok ? '1' : '0',
      String(FAILURES_TO_OPEN),
      String(COOL_DOWN_MS),
      probeRttMs === undefined ? '' : probeRttMs.toFixed(2),
    );
  }

  async states(siteIds: readonly string[]): Promise<SiteHealthState[]> {
    if (siteIds.length === 0) return [];
    const raw = await this.redis.hmget(HEALTH_KEY, ...siteIds);
    return siteIds.map((siteId, i) => {
      const [failures, opened, rtt] = (raw[i] ?? '0|0|0|0').split('|').map(Number) as [
        number,
        number,
        number,
      ];
      return {
        siteId,
        circuit: opened > 0 ? 'open' : 'closed',
        consecutiveFailures: failures,
        openedAt: opened > 0 ? new Date(opened).toISOString() : null,
        lastProbeRttMs: rtt > 0 ? rtt : null,
      };
    });
  }

  /**
   * Redis's memory against its maxmemory. On a Redis Cluster every master has its own limit (and
   * refuses writes to its slots when full): the fullest master is the one that counts.
   */
  async storeMemory(): Promise<StoreMemory> {
    const masters = 'nodes' in this.redis ? this.redis.nodes('master') : [];
    // a cluster client that has not connected yet knows no nodes: any node answers then
    const nodes: (Redis | Cluster)[] = masters.length > 0 ? masters : [this.redis];
    const all = await Promise.all(nodes.map(async (node) => parseMemory(await node.info('memory'))));
    const fill = (m: StoreMemory) => (m.maxBytes > 0 ? m.usedBytes / m.maxBytes : 0);
    return all.reduce((a, b) =>
      fill(b) > fill(a) || (fill(b) === fill(a) && b.usedBytes > a.usedBytes) ? b : a,
    );
  }

  async openCircuits(siteIds: readonly string[]): Promise<Set<string>> {
    return new Set((await this.states(siteIds)).filter((s) => s.circuit === 'open').map((s) => s.siteId));
  }
}

function parseMemory(info: string): StoreMemory {
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  return {
    usedBytes: Number(field('used_memory')) || 0,
    maxBytes: Number(field('maxmemory')) || 0,
    policy: field('maxmemory_policy') || 'unknown',
  };
}

/** Probe a site's health endpoint; the agent runs this on an interval. */
export async function probeSite(endpoint: string, timeoutMs = 2000): Promise<{ ok: boolean; rttMs: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return { ok: res.ok, rttMs: performance.now() - t0 };
  } catch {
    return { ok: false, rttMs: performance.now() - t0 };
  }
}
