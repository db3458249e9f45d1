/**
 * The metering ledger: two-phase holds (reserve → post | void | expire) over Redis Lua scripts.
 * Every script is atomic and idempotent by request id, so a retried activity or a command that
 * ioredis re-sends after a reconnect can never hold, post or record twice.
 *
 * Durability (option `durability`, see durability.ts): on a replicated Redis, a reserve, extend,
 * post, void or top-up is acknowledged only once `replicas` replicas of the tenant's master have
 * received it; otherwise it throws LEDGER_NOT_REPLICATED (retryable: re-issue the same call, it is
 * idempotent). So an acknowledged write survives the failover of that master to a replica, and a
 * retried post is a replay, never a second charge. Without the option (a single Redis) an
 * acknowledged write is on the master and in its AOF within a second (appendfsync everysec).
 */
import type { Cluster, Redis } from 'ioredis';
import { FederaError, type StoredUsageRecord, type UsageRecord } from '@federa/domain';
import { checkDurability, notReplicated, writeThenWait, type LedgerDurability } from './durability';
import { storeUnavailableOr } from '@federa/redis';
import { extensionRefusal, type ExtendHoldArgs } from './hold-extension';
import { API_KEY_ID_PATTERN, readKeyAccount, type KeyAccount } from './key-ledger';
import { scriptKeys, tenantKeys } from './keys';
import { notify, observed, type LedgerObserver, type LedgerResult } from './observer';
import { periodId, type BillingPeriod } from './periods';
import type { LedgerFunctionName as LedgerFunction } from './ledger-scripts';
import { callLedger, isLibraryMissing, loadLedgerLibrary } from './ledger-functions';
import { ledgerFunction } from './ledger-scripts';
import { GroupCommit, type BatchedKind } from './ledger-batch';
import { decodeReply, replyStatus, type RawReply } from './reply';

type RedisLike = Redis | Cluster;
/** how long a resolved hold is kept so a replayed request id stays idempotent (default 7 days) */
export const DEFAULT_REPLAY_WINDOW_MS = 7 * 24 * 3600 * 1000;

export type HoldState = 'pending' | 'posted' | 'voided' | 'expired';
export type BudgetMode = 'period' | 'prepaid';

export interface Hold {
  readonly requestId: string;
  readonly state: HoldState;
  readonly amount: number;
  readonly expiresAt: number;
  readonly posted: number;
  readonly overage: number;
  readonly recordId: string | null;
  /** rate-limit tokens the hold took */
  readonly tokens: number;
  /** the API key the hold was made with (its figures move with the tenant's), or null */
  readonly apiKeyId: string | null;
}

export interface ReserveOk extends Hold {
  /** true when the hold already existed (a retry); its state may have moved on since */
  readonly replay: boolean;
}

export interface PostResult extends Hold {
  readonly replay: boolean;
  readonly flags: readonly string[];
}

export interface AccountSettings {
  /** period budget (mode 'period') or the prepaid credit so far (mode 'prepaid'), minor units */
  readonly budget: number;
  readonly mode?: BudgetMode;
  /** token-rate limit in tokens per minute; 0 = none */
  readonly tokensPerMinute?: number;
}

export interface Account {
  readonly budget: number;
  readonly posted: number;
  readonly pending: number;
  readonly overage: number;
  readonly available: number;
  readonly mode: BudgetMode;
  /** the budget period the figures belong to (mode 'period') */
  readonly period: string | null;
  readonly tokensPerMinute: number;
}

function toHold(raw: RawReply): Hold {
  return {
    requestId: raw.requestId,
    state: raw.state,
    amount: Number(raw.amount),
    expiresAt: Number(raw.expiresAt),
    posted: Number(raw.posted),
    overage: Number(raw.overage),
    recordId: raw.recordId || null,
    tokens: Number(raw.tokens || 0),
    apiKeyId: raw.apiKeyId || null,
  };
}

function amountArg(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FederaError('VALIDATION_FAILED', `${what} must be a non-negative safe integer, got ${value}`);
  }
  return String(value);
}

export interface LedgerOptions {
  readonly clock?: () => number;
  /** length of a budget period for tenants in 'period' mode */
  readonly period?: BillingPeriod;
  /**
   * how long a posted, voided or expired hold is kept after it was resolved: a request id replayed
   * within it gets the first outcome; the sweep prunes older ones (and a replay after that is new)
   */
  readonly replayWindowMs?: number;
  /** told each reserve, extend, post, void and sweep (metrics); absent = no cost at all */
  readonly observer?: LedgerObserver | undefined;
  /** acknowledge money-moving writes only once replicated (absent: a single Redis, no WAIT) */
  readonly durability?: LedgerDurability | undefined;
  /**
   * group commit (ledger-batch.ts): a tenant's reserves and posts of one event-loop turn go to Redis
   * as one call. Default on; always off with `durability` (each write has its own WAIT).
   */
  readonly groupCommit?: boolean | undefined;
}

export interface ReserveArgs {
  tenantId: string;
  requestId: string;
  amount: number;
  expiresAt: number;
  /** tokens this request may use (input + max output), for the token-rate limit */
  tokens?: number;
  /**
   * who reserves (the workflow run id): a hold voided or expired under another attempt is
   * re-opened; the same attempt replays; a posted hold stays posted
   */
  attempt?: string;
  /**
   * the API key the request came with: the key's budget and rate limit are checked (and drawn
   * from) in the same call as the tenant's; a revoked or expired key holds nothing
   */
  apiKeyId?: string | undefined;
}

export interface PostArgs {
  tenantId: string;
  requestId: string;
  actual: number;
  /** tokens actually used; the rest of the hold's tokens return to the rate-limit bucket */
  actualTokens?: number;
  record: UsageRecord;
}

/** ok, or replay when the hold already existed / the post or void was done before */
const replayed = (r: { readonly replay: boolean }): LedgerResult => (r.replay ? 'replay' : 'ok');

export class Ledger {
  private readonly groupCommit: GroupCommit | undefined;
  private readonly clock: () => number;
  private readonly period: BillingPeriod;
  private readonly replayWindowMs: number;
  private readonly observer: LedgerObserver | undefined;
  private readonly durability: LedgerDurability | undefined;

  constructor(
    readonly redis: RedisLike,
    opts: LedgerOptions | (() => number) = {},
  ) {
    const o = typeof opts === 'function' ? { clock: opts } : opts;
    this.clock = o.clock ?? Date.now;
    this.period = o.period ?? 'month';
    this.replayWindowMs = o.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS;
    this.observer = o.observer;
    this.durability = o.durability && o.durability.replicas > 0 ? checkDurability(o.durability) : undefined;
    this.groupCommit =
      this.durability || o.groupCommit === false
        ? undefined
        : new GroupCommit(redis, () => {
            const now = this.clock();
            return { now, period: periodId(this.period, now) };
          });
  }

  private async run(op: LedgerFunction, tenantId: string, ...args: string[]): Promise<RawReply> {
    return this.answer(() => this.send(op, tenantId, args), args[0] ?? '');
  }

  /**
   * A reserve or post: through the group commit when it is on (`batchedArgs`, the operation's
   * arguments without its clock reading and period, which the batch supplies), else on its own.
   */
  private runBatchable(
    op: 'reserve' | 'post',
    tenantId: string,
    batchedArgs: string[],
    ownArgs: (now: number, period: string) => string[],
  ): Promise<RawReply> {
    const g = this.groupCommit;
    if (g) {
      const kind: BatchedKind = op === 'reserve' ? 'R' : 'P';
      return this.answer(() => g.submit(tenantId, kind, batchedArgs), batchedArgs[0] ?? '');
    }
    const now = this.clock();
    return this.run(op, tenantId, ...ownArgs(now, periodId(this.period, now)));
  }

  private async answer(call: () => Promise<unknown>, requestId: string): Promise<RawReply> {
    let reply: unknown;
    try {
      reply = await call();
    } catch (err) {
      throw storeUnavailableOr(err);
    }
    const raw = decodeReply(reply, requestId);
    // a Redis error inside a batch, answered for this operation alone (batch.lua)
    if (raw.status === 'SCRIPT_ERROR')
      throw storeUnavailableOr(new Error(raw.message ?? 'ledger script error'));
    // the TS checks make these unreachable from callers; the scripts check again for anyone else
    if (raw.status === 'INVALID_ARGUMENT')
      throw new FederaError('VALIDATION_FAILED', `invalid ${raw.argument ?? 'argument'} for the ledger`);
    if (raw.status === 'AMOUNT_TOO_LARGE')
      throw new FederaError(
        'VALIDATION_FAILED',
        `the amount would take the account past ${Number.MAX_SAFE_INTEGER} minor units`,
      );
    return raw;
  }

  /** Run an operation; with durability, throw LEDGER_NOT_REPLICATED unless its success is replicated. */
  private async send(op: LedgerFunction, tenantId: string, args: string[]): Promise<unknown> {
    const keys = scriptKeys(tenantId);
    const d = this.durability;
    if (!d) return callLedger(this.redis, op, keys, args);
    const write = () =>
      writeThenWait(this.redis, d, (p) => {
        p.call('FCALL', ledgerFunction(op), String(keys.length), ...keys, ...args);
      });
    const first = await write().catch(async (err: unknown) => {
      if (!isLibraryMissing(err)) throw err;
      await loadLedgerLibrary(this.redis);
      return write();
    });
    const status = replyStatus(first.reply);
    // refusals moved no money: nothing to confirm
    if (status !== 'OK' && status !== 'REPLAY') return first.reply;
    let acked = first.acked;
    if (status === 'REPLAY' && acked >= d.replicas) {
      const mark = tenantKeys(tenantId).replicationMark;
      acked = (await writeThenWait(this.redis, d, (p) => p.set(mark, String(this.clock())))).acked;
    }
    if (acked < d.replicas) throw notReplicated(op, d, acked);
    return first.reply;
  }

  /** Create the tenant's account if it does not exist; an existing account keeps its figures. */
  async ensureAccount(tenantId: string, settings: AccountSettings | number): Promise<void> {
    const s = typeof settings === 'number' ? { budget: settings } : settings;
    const k = tenantKeys(tenantId).account;
    await this.redis
      .multi()
      .hsetnx(k, 'budget', amountArg(s.budget, 'budget'))
      .hsetnx(k, 'posted', '0')
      .hsetnx(k, 'pending', '0')
      .hsetnx(k, 'overage', '0')
      .hsetnx(k, 'mode', s.mode ?? 'period')
      .hsetnx(k, 'tpm', amountArg(s.tokensPerMinute ?? 0, 'tokensPerMinute'))
      .exec();
  }

  /** Admin: set budget, mode and rate limit (a changed limit starts with a full bucket). */
  async configureAccount(tenantId: string, settings: AccountSettings): Promise<Account> {
    await this.ensureAccount(tenantId, settings);
    const k = tenantKeys(tenantId).account;
    const fields: string[] = ['budget', amountArg(settings.budget, 'budget')];
    if (settings.mode) fields.push('mode', settings.mode);
    const tx = this.redis.multi().hset(k, ...fields);
    if (settings.tokensPerMinute !== undefined) {
      tx.hset(k, 'tpm', amountArg(settings.tokensPerMinute, 'tokensPerMinute')).hdel(
        k,
        'tpm_avail',
        'tpm_ts',
      );
    }
    await tx.exec();
    return this.account(tenantId);
  }

  async account(tenantId: string): Promise<Account> {
    const raw = await this.redis.hgetall(tenantKeys(tenantId).account);
    if (raw.budget === undefined)
      throw new FederaError('UNKNOWN_TENANT', `no account for tenant '${tenantId}'`);
    const n = (v: string | undefined) => Number(v ?? 0);
    const mode: BudgetMode = raw.mode === 'prepaid' ? 'prepaid' : 'period';
    // a period that has ended but not yet rolled (no operation since) reads as the new, empty one
    const current = periodId(this.period, this.clock());
    const stale = mode === 'period' && raw.period !== undefined && raw.period !== current;
    const posted = stale ? 0 : n(raw.posted);
    const overage = stale ? 0 : n(raw.overage);
    const budget = n(raw.budget);
    const pending = n(raw.pending);
    return {
      budget,
      posted,
      pending,
      overage,
      // the same figure reserve decides with: overage uses up the budget too
      available: budget - posted - pending - overage,
      mode,
      period: mode === 'period' ? current : null,
      tokensPerMinute: n(raw.tpm),
    };
  }

  reserve(args: ReserveArgs): Promise<ReserveOk> {
    return observed(this.observer, 'reserve', () => this.reserveOnce(args), replayed);
  }

  private async reserveOnce(args: ReserveArgs): Promise<ReserveOk> {
    if (args.apiKeyId !== undefined && !API_KEY_ID_PATTERN.test(args.apiKeyId))
      throw new FederaError('VALIDATION_FAILED', 'invalid API key id');
    const amount = amountArg(args.amount, 'amount');
    const expiresAt = amountArg(args.expiresAt, 'expiresAt');
    const tokens = amountArg(args.tokens ?? 0, 'tokens');
    const attempt = args.attempt ?? '';
    const key = args.apiKeyId ?? '';
    const raw = await this.runBatchable(
      'reserve',
      args.tenantId,
      [args.requestId, amount, expiresAt, tokens, attempt, key],
      (now, period) => [args.requestId, amount, expiresAt, String(now), period, tokens, attempt, key],
    );
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
      case 'KEY_BUDGET_EXCEEDED':
        throw new FederaError(
          'KEY_BUDGET_EXCEEDED',
          `the request needs a hold of ${args.amount} but only ${raw.available} remains in the API key's budget`,
          { needed: args.amount, available: Number(raw.available) },
        );
      case 'RATE_LIMITED':
      case 'KEY_RATE_LIMITED': {
        const retryAfterMs = raw.retryAfterMs ?? -1;
        const whose = raw.status === 'RATE_LIMITED' ? "the tenant's" : "the API key's";
        throw new FederaError(
          raw.status,
          retryAfterMs < 0
            ? `the request may use ${args.tokens} tokens, more than ${whose} limit per minute`
            : `${whose} token rate limit reached; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
          { retryAfterMs: retryAfterMs < 0 ? null : retryAfterMs },
        );
      }
      case 'KEY_INVALID':
        // the same answer as authentication gives for an unknown, revoked or expired key
        throw new FederaError('UNAUTHENTICATED', 'invalid API key');
      case 'UNKNOWN_TENANT':
        throw new FederaError('UNKNOWN_TENANT', `no account for tenant '${args.tenantId}'`);
      default:
        throw new FederaError('INTERNAL', `reserve answered ${raw.status}`);
    }
  }

  /**
   * Add the next slice of a request's grant to its pending hold (extend.lua), checked like a reserve
   * against the tenant's and the hold's API key's budget and rate limit. Refusals throw (nothing
   * changed); a repeated `seq` replays without holding again.
   */
  extendHold(args: ExtendHoldArgs): Promise<ReserveOk> {
    return observed(this.observer, 'extend', () => this.extendOnce(args), replayed);
  }

  private async extendOnce(args: ExtendHoldArgs): Promise<ReserveOk> {
    if (!Number.isSafeInteger(args.seq) || args.seq < 1)
      throw new FederaError('VALIDATION_FAILED', `seq must be a positive integer, got ${args.seq}`);
    const now = this.clock();
    const raw = await this.run(
      'extend',
      args.tenantId,
      args.requestId,
      String(args.seq),
      amountArg(args.amount, 'amount'),
      amountArg(args.tokens, 'tokens'),
      String(now),
      periodId(this.period, now),
    );
    if (raw.status === 'OK' || raw.status === 'REPLAY')
      return { ...toHold(raw), replay: raw.status === 'REPLAY' };
    throw extensionRefusal(args, raw);
  }

  async post(args: PostArgs): Promise<PostResult> {
    const posted = await observed(this.observer, 'post', () => this.postOnce(args), replayed);
    // metrics only: nothing to put together without an observer (the common benchmark path)
    if (!posted.replay && this.observer) {
      const flags = [...new Set([...args.record.flags, ...posted.flags])];
      notify(this.observer, (o) =>
        o.posted({
          usage: {
            model: args.record.model,
            siteId: args.record.siteId,
            inputTokens: args.record.inputTokens,
            outputTokens: args.record.outputTokens,
          },
          overage: posted.overage,
          currency: args.record.currency,
          flags,
        }),
      );
    }
    return posted;
  }

  private async postOnce(args: PostArgs): Promise<PostResult> {
    const actual = amountArg(args.actual, 'actual');
    const actualTokens = amountArg(args.actualTokens ?? 0, 'actualTokens');
    const record = JSON.stringify(args.record);
    const raw = await this.runBatchable(
      'post',
      args.tenantId,
      [args.requestId, actual, record, actualTokens],
      (now, period) => [args.requestId, actual, String(now), record, period, actualTokens],
    );
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

  void(args: { tenantId: string; requestId: string }): Promise<Hold & { replay: boolean }> {
    return observed(this.observer, 'void', () => this.voidOnce(args), replayed);
  }

  private async voidOnce(args: { tenantId: string; requestId: string }): Promise<Hold & { replay: boolean }> {
    const raw = await this.run('void', args.tenantId, args.requestId, String(this.clock()));
    if (raw.status === 'OK' || raw.status === 'REPLAY')
      return { ...toHold(raw), replay: raw.status === 'REPLAY' };
    if (raw.status === 'HOLD_NOT_FOUND' || raw.status === 'HOLD_ALREADY_RESOLVED') {
      throw new FederaError(raw.status, `cannot void request '${args.requestId}': ${raw.status}`, {
        state: raw.state,
      });
    }
    throw new FederaError('INTERNAL', `void answered ${raw.status}`);
  }

  /** Add prepaid credit, once per top-up id. */
  async topUp(args: {
    tenantId: string;
    topUpId: string;
    amount: number;
  }): Promise<{ budget: number; replay: boolean }> {
    const raw = await this.run('topup', args.tenantId, args.topUpId, amountArg(args.amount, 'amount'));
    if (raw.status === 'UNKNOWN_TENANT')
      throw new FederaError('UNKNOWN_TENANT', `no account for tenant '${args.tenantId}'`);
    return { budget: Number(raw.budget), replay: raw.status === 'REPLAY' };
  }

  /**
   * Expire due holds of one tenant and prune holds resolved longer than the replay window ago (the
   * periodic sweep; reserve/post/void also expire lazily). Returns how many holds it looked at.
   */
  sweep(tenantId: string, limit = 1000): Promise<number> {
    return observed(
      this.observer,
      'sweep',
      () => this.sweepOnce(tenantId, limit),
      () => 'ok',
    );
  }

  private async sweepOnce(tenantId: string, limit: number): Promise<number> {
    const reply = await callLedger(this.redis, 'sweep', scriptKeys(tenantId), [
      String(this.clock()),
      amountArg(limit, 'limit'),
      amountArg(this.replayWindowMs, 'replayWindowMs'),
    ]);
    if (typeof reply !== 'number') throw new FederaError('VALIDATION_FAILED', 'invalid sweep arguments');
    return reply;
  }

  async hold(tenantId: string, requestId: string): Promise<Hold | null> {
    const raw = await this.redis.hget(tenantKeys(tenantId).holds, requestId);
    return raw ? parseHold(requestId, raw) : null;
  }

  /** Holds not yet posted, voided or expired. */
  async pendingHolds(tenantId: string, limit = 100): Promise<Hold[]> {
    const k = tenantKeys(tenantId);
    const ids = await this.redis.zrange(k.expiry, 0, limit - 1);
    if (ids.length === 0) return [];
    const raws = await this.redis.hmget(k.holds, ...ids);
    return ids
      .flatMap((id, i) => (raws[i] ? [parseHold(id, raws[i])] : []))
      .filter((h) => h.state === 'pending');
  }

  /** Totals of closed budget periods. */
  async closedPeriods(tenantId: string): Promise<Record<string, { posted: number; overage: number }>> {
    const raw = await this.redis.hgetall(tenantKeys(tenantId).periods);
    return Object.fromEntries(
      Object.entries(raw).map(([p, v]) => {
        const [posted, overage] = v.split('|');
        return [p, { posted: Number(posted), overage: Number(overage) }];
      }),
    );
  }

  /** The tenant's usage records, newest first. */
  async listUsage(
    tenantId: string,
    opts: { limit: number; before?: string | undefined },
  ): Promise<StoredUsageRecord[]> {
    const end = opts.before ? `(${opts.before}` : '+';
    const entries = await this.redis.xrevrange(tenantKeys(tenantId).usage, end, '-', 'COUNT', opts.limit);
    return entries.map(([id, fields]) => parseRecord(id, fields));
  }

  /** Usage records appended in [fromMs, toMs), oldest first, in pages (for settlement). */
  async *usageBetween(
    tenantId: string,
    fromMs: number,
    toMs: number,
    pageSize = 1000,
  ): AsyncGenerator<StoredUsageRecord> {
    let start = `${fromMs}-0`;
    const end = `${Math.max(fromMs, toMs - 1)}-18446744073709551615`;
    if (toMs <= fromMs) return;
    for (;;) {
      const entries = await this.redis.xrange(tenantKeys(tenantId).usage, start, end, 'COUNT', pageSize);
      for (const [id, fields] of entries) yield parseRecord(id, fields);
      if (entries.length < pageSize) return;
      start = `(${entries[entries.length - 1]![0]}`;
    }
  }

  /** An API key's budget, figures and rate limit in the current billing period (null: no such key). */
  async keyAccount(tenantId: string, apiKeyId: string): Promise<KeyAccount | null> {
    return readKeyAccount(this.redis, tenantId, apiKeyId, { period: this.period, now: this.clock() });
  }

  async usageCount(tenantId: string): Promise<number> {
    return this.redis.xlen(tenantKeys(tenantId).usage);
  }
}

function parseHold(requestId: string, raw: string): Hold {
  const [state, amount, expiresAt, posted, overage, recordId, tokens, apiKeyId] = raw.split('|');
  return {
    requestId,
    state: state as HoldState,
    amount: Number(amount),
    expiresAt: Number(expiresAt),
    posted: Number(posted),
    overage: Number(overage),
    recordId: recordId || null,
    tokens: Number(tokens ?? 0),
    apiKeyId: apiKeyId || null,
  };
}

function parseRecord(recordId: string, fields: string[]): StoredUsageRecord {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const record = JSON.parse(f.get('record') ?? '{}') as UsageRecord;
  const ledgerFlags = (f.get('flags') ?? '').split(',').filter(Boolean);
  const apiKeyId = f.get('apikey');
  return {
    ...record,
    flags: [...new Set([...record.flags, ...ledgerFlags])],
    recordId,
    ...(apiKeyId ? { apiKeyId } : {}),
  };
}
