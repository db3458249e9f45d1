/**
 * The metering ledger: two-phase holds (reserve → post | void | expire) over Redis Lua scripts.
 * Every script is atomic and idempotent by request id, so a retried activity or a command that
 * ioredis re-sends after a reconnect can never hold, post or record twice.
 */
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { FederaError, type StoredUsageRecord, type UsageRecord } from '@federa/domain';
import { tenantKeys } from './keys';

type RedisLike = Redis | Cluster;

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
const PRELUDE = lua('prelude');
const SCRIPTS = {
  federaReserve: { numberOfKeys: 3, lua: PRELUDE + lua('reserve') },
  federaPost: { numberOfKeys: 4, lua: PRELUDE + lua('post') },
  federaVoid: { numberOfKeys: 3, lua: PRELUDE + lua('void') },
  federaSweep: { numberOfKeys: 3, lua: PRELUDE + lua('sweep') },
} as const;

interface LedgerCommands {
  federaReserve(
    k1: string,
    k2: string,
    k3: string,
    id: string,
    amount: string,
    exp: string,
    now: string,
  ): Promise<string>;
  federaPost(
    k1: string,
    k2: string,
    k3: string,
    k4: string,
    id: string,
    actual: string,
    now: string,
    rec: string,
  ): Promise<string>;
  federaVoid(k1: string, k2: string, k3: string, id: string, now: string): Promise<string>;
  federaSweep(k1: string, k2: string, k3: string, now: string, limit: string): Promise<number>;
}

export type HoldState = 'pending' | 'posted' | 'voided' | 'expired';

export interface Hold {
  readonly requestId: string;
  readonly state: HoldState;
  readonly amount: number;
  readonly expiresAt: number;
  readonly posted: number;
  readonly overage: number;
  readonly recordId: string | null;
}

export interface ReserveOk extends Hold {
  /** true when the hold already existed (a retry); its state may have moved on since */
  readonly replay: boolean;
}

export interface PostResult extends Hold {
  readonly replay: boolean;
  readonly flags: readonly string[];
}

export interface Account {
  readonly budget: number;
  readonly posted: number;
  readonly pending: number;
  readonly overage: number;
  readonly available: number;
}

interface RawHold {
  status: string;
  requestId: string;
  state: HoldState;
  amount: string;
  expiresAt: string;
  posted: string;
  overage: string;
  recordId: string;
  available?: string;
  flags?: string[] | Record<string, never>;
}

function toHold(raw: RawHold): Hold {
  return {
    requestId: raw.requestId,
    state: raw.state,
    amount: Number(raw.amount),
    expiresAt: Number(raw.expiresAt),
    posted: Number(raw.posted),
    overage: Number(raw.overage),
    recordId: raw.recordId || null,
  };
}

function amountArg(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FederaError('VALIDATION_FAILED', `${what} must be a non-negative safe integer, got ${value}`);
  }
  return String(value);
}

export class Ledger {
  private readonly cmd: LedgerCommands;

  constructor(
    readonly redis: RedisLike,
    private readonly clock: () => number = Date.now,
  ) {
    for (const [name, def] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, def);
    }
    this.cmd = redis as unknown as LedgerCommands;
  }

  /** Create the tenant's account if it does not exist; an existing account keeps its figures. */
  async ensureAccount(tenantId: string, budget: number): Promise<void> {
    const k = tenantKeys(tenantId);
    await this.redis
      .multi()
      .hsetnx(k.account, 'budget', amountArg(budget, 'budget'))
      .hsetnx(k.account, 'posted', '0')
      .hsetnx(k.account, 'pending', '0')
      .hsetnx(k.account, 'overage', '0')
      .exec();
  }

  async setBudget(tenantId: string, budget: number): Promise<void> {
    await this.ensureAccount(tenantId, budget);
    await this.redis.hset(tenantKeys(tenantId).account, 'budget', amountArg(budget, 'budget'));
  }

  async account(tenantId: string): Promise<Account> {
    const raw = await this.redis.hgetall(tenantKeys(tenantId).account);
    if (raw.budget === undefined)
      throw new FederaError('UNKNOWN_TENANT', `no account for tenant '${tenantId}'`);
    const [budget, posted, pending, overage] = [raw.budget, raw.posted, raw.pending, raw.overage].map((v) =>
      Number(v ?? 0),
    ) as [number, number, number, number];
    return { budget, posted, pending, overage, available: budget - posted - pending };
  }

  async reserve(args: {
    tenantId: string;
    requestId: string;
    amount: number;
    expiresAt: number;
  }): Promise<ReserveOk> {
    const k = tenantKeys(args.tenantId);
    const raw = JSON.parse(
      await this.cmd.federaReserve(
        k.account,
        k.holds,
        k.expiry,
        args.requestId,
        amountArg(args.amount, 'amount'),
        String(args.expiresAt),
        String(this.clock()),
      ),
    ) as RawHold;
    switch (raw.status) {
      case 'OK':
      case 'REPLAY':
        return { ...toHold(raw), replay: raw.status === 'REPLAY' };
      case 'BUDGET_EXCEEDED':
        throw new FederaError(
          'BUDGET_EXCEEDED',
          `the request needs a hold of ${args.amount} but only ${raw.available} remains in the budget`,
          { needed: args.amount, available: Number(raw.available) },
        );
      case 'UNKNOWN_TENANT':
        throw new FederaError('UNKNOWN_TENANT', `no account for tenant '${args.tenantId}'`);
      default:
        throw new FederaError('INTERNAL', `reserve answered ${raw.status}`);
    }
  }

  async post(args: {
    tenantId: string;
    requestId: string;
    actual: number;
    record: UsageRecord;
  }): Promise<PostResult> {
    const k = tenantKeys(args.tenantId);
    const raw = JSON.parse(
      await this.cmd.federaPost(
        k.account,
        k.holds,
        k.expiry,
        k.usage,
        args.requestId,
        amountArg(args.actual, 'actual'),
        String(this.clock()),
        JSON.stringify(args.record),
      ),
    ) as RawHold;
    if (raw.status === 'OK' || raw.status === 'REPLAY') {
      return {
        ...toHold(raw),
        replay: raw.status === 'REPLAY',
        flags: Array.isArray(raw.flags) ? raw.flags : [],
      };
    }
    if (raw.status === 'HOLD_NOT_FOUND' || raw.status === 'HOLD_ALREADY_RESOLVED') {
      throw new FederaError(raw.status, `cannot post request '${args.requestId}': ${raw.status}`, {
        state: raw.state,
      });
    }
    throw new FederaError('INTERNAL', `post answered ${raw.status}`);
  }

  async void(args: { tenantId: string; requestId: string }): Promise<Hold & { replay: boolean }> {
    const k = tenantKeys(args.tenantId);
    const raw = JSON.parse(
      await this.cmd.federaVoid(k.account, k.holds, k.expiry, args.requestId, String(this.clock())),
    ) as RawHold;
    if (raw.status === 'OK' || raw.status === 'REPLAY')
      return { ...toHold(raw), replay: raw.status === 'REPLAY' };
    if (raw.status === 'HOLD_NOT_FOUND' || raw.status === 'HOLD_ALREADY_RESOLVED') {
      throw new FederaError(raw.status, `cannot void request '${args.requestId}': ${raw.status}`, {
        state: raw.state,
      });
    }
    throw new FederaError('INTERNAL', `void answered ${raw.status}`);
  }

  /** Expire due holds of one tenant (the periodic sweep; reserve/post/void also do it lazily). */
  async sweep(tenantId: string, limit = 1000): Promise<number> {
    const k = tenantKeys(tenantId);
    return this.cmd.federaSweep(k.account, k.holds, k.expiry, String(this.clock()), String(limit));
  }

  async hold(tenantId: string, requestId: string): Promise<Hold | null> {
    const raw = await this.redis.hget(tenantKeys(tenantId).holds, requestId);
    if (!raw) return null;
    const [state, amount, expiresAt, posted, overage, recordId] = raw.split('|');
    return {
      requestId,
      state: state as HoldState,
      amount: Number(amount),
      expiresAt: Number(expiresAt),
      posted: Number(posted),
      overage: Number(overage),
      recordId: recordId || null,
    };
  }

  /** The tenant's usage records, newest first. */
  async listUsage(
    tenantId: string,
    opts: { limit: number; before?: string | undefined },
  ): Promise<StoredUsageRecord[]> {
    const key = tenantKeys(tenantId).usage;
    const end = opts.before ? `(${opts.before}` : '+';
    const entries = await this.redis.xrevrange(key, end, '-', 'COUNT', opts.limit);
    return entries.map(([recordId, fields]) => {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
      const record = JSON.parse(f.get('record') ?? '{}') as UsageRecord;
      const ledgerFlags = (f.get('flags') ?? '').split(',').filter(Boolean);
      return { ...record, flags: [...new Set([...record.flags, ...ledgerFlags])], recordId };
    });
  }

  async usageCount(tenantId: string): Promise<number> {
    return this.redis.xlen(tenantKeys(tenantId).usage);
  }
}
