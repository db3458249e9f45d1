/**
 * Where settlement lives in Redis. Issuing is one atomic, write-once Lua step (statement, record
 * references, lifecycle, index entries): a closed statement is never rewritten. Its lifecycle
 * (accepted, disputed, resolved) is kept beside it and moves only by compare-and-set (see
 * lifecycle.ts for the rules). All keys of a namespace share one Redis Cluster hash slot.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import type { JSONWebKeySet, JWK } from 'jose';
import { FederaError } from '@federa/domain';
import {
  creditNoteIdOf,
  creditNoteOfResolution,
  sameCreditNote,
  signCreditNote,
  type CreditNotePayload,
} from './credit-note';
import { ISSUED } from './lifecycle';
import { verifyStatement } from './signing';
import { DEFAULT_RECOMPUTE_LIMIT, RecomputeLimiter, type RecomputeLimit } from './recompute-limit';
import type { DisputeAdjustment, StatementPayload } from './statement';
import type { HistoryEntry, ScheduleHistories } from './calendar/schedule-history';

/** the schedule-history hash's field saying a run accepted a history (pair keys never start with #) */
const ACCEPTED_FIELD = '#accepted';

export type StatementStatus = 'issued' | 'accepted' | 'disputed' | 'resolved';

export interface Dispute {
  readonly by: string;
  readonly at: string;
  readonly lines: readonly {
    readonly lineNo: number;
    readonly claimed: number;
    readonly stated: number;
    readonly difference: number;
  }[];
}

export interface Lifecycle {
  readonly status: StatementStatus;
  readonly acceptedBy: readonly string[];
  readonly dispute: Dispute | null;
  readonly resolution: Resolution | null;
}

/**
 * An upheld dispute: an adjustment line in `targetPeriod`, or (when the pair's agreement says so) a
 * credit note, `creditNoteId`, and then `targetPeriod` is null.
 */
export type Resolution = DisputeAdjustment & {
  readonly by: string;
  readonly at: string;
  readonly targetPeriod: string | null;
  readonly creditNoteId?: string;
};

export interface StatementIndexEntry {
  readonly statementId: string;
  readonly periodId: string;
  readonly parties: readonly [string, string];
}

export interface RecentStatement {
  readonly statementId: string;
  readonly payload: StatementPayload;
  readonly status: StatementStatus;
}

/** How a transition decides: the next lifecycle, or null when the call is a replay (no change). */
export type Decide = (current: Lifecycle) => {
  readonly next: Lifecycle;
  /** written together with the transition (a resolution's adjustment) */
  readonly adjustment?: { readonly targetPeriod: string; readonly adjustment: DisputeAdjustment };
  /** or a resolution's credit note, stored pending (unsigned) in the same step */
  readonly creditNote?: CreditNotePayload;
} | null;

export interface Transitioned {
  readonly before: Lifecycle;
  readonly after: Lifecycle;
  /** false when the call changed nothing (an idempotent replay) */
  readonly changed: boolean;
}

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
const SCRIPTS = {
  federaSettleIssue: lua('issue'),
  federaSettleTransition: lua('transition'),
  federaSettleCursor: lua('cursor'),
} as const;
interface Commands {
  federaSettleIssue(numKeys: number, ...args: (string | number)[]): Promise<[number, string]>;
  federaSettleTransition(...args: string[]): Promise<number>;
  federaSettleCursor(numKeys: '1', key: string, endMs: string): Promise<number>;
}

/** A compare-and-set that keeps losing means something is badly wrong; give up rather than spin. */
const MAX_TRANSITION_ATTEMPTS = 50;
/** staged record references of a run that crashed before it issued vanish after this */
const STAGING_TTL_S = 3600;

export class SettlementStore {
  private readonly k: Record<
    | 'statements'
    | 'settled'
    | 'lifecycle'
    | 'adjustments'
    | 'cursor'
    | 'scheduleHistory'
    | 'creditNotes'
    | 'pendingCreditNotes',
    string
  > & {
    byOperator: (op: string) => string;
    adjustmentsOf: (targetPeriod: string) => string;
    refs: (id: string, line: number) => string;
    staging: (id: string, line: number, run: string) => string;
  };
  private readonly cmd: Commands;
  /** every key of this namespace starts with it (one hash tag) */
  readonly prefix: string;
  /** per-caller budget of statement recomputes (settlement.verify) */
  readonly recomputes: RecomputeLimiter;

  constructor(
    readonly redis: Redis | Cluster,
    readonly namespace = 'default',
    recomputeLimit: RecomputeLimit = DEFAULT_RECOMPUTE_LIMIT,
  ) {
    // one hash tag for the namespace: each script's keys share a Redis Cluster slot
    const p = `federa:settlement:{${namespace}}`;
    this.prefix = p;
    this.k = {
      statements: `${p}:statements`,
      settled: `${p}:settled`,
      lifecycle: `${p}:lifecycle`,
      adjustments: `${p}:adjustments`,
      cursor: `${p}:cursor`,
      scheduleHistory: `${p}:schedule-history`,
      creditNotes: `${p}:credit-notes`,
      pendingCreditNotes: `${p}:credit-notes-pending`,
      byOperator: (op) => `${p}:by-operator:${op}`,
      adjustmentsOf: (targetPeriod) => `${p}:adjustments-for:${targetPeriod}`,
      refs: (id, line) => `${p}:refs:${id}:${line}`,
      staging: (id, line, run) => `${p}:staging:${run}:${id}:${line}`,
    };
    this.recomputes = new RecomputeLimiter(redis, `${p}:recompute-bucket`, recomputeLimit);
    for (const [name, source] of Object.entries(SCRIPTS)) {
      // the number of keys varies with the statement's lines: each call passes it first
      if (!(name in redis)) redis.defineCommand(name, { lua: source });
    }
    this.cmd = redis as unknown as Commands;
  }

  /**
   * Store an issued statement with its lines' record references (`lineRefs[i]` for line i + 1), its
   * lifecycle and both parties' index entries, in one write-once step. Returns the stored JWS: the
   * first one, when another run issued it already (then nothing is written).
   */
  async issue(
    entry: StatementIndexEntry,
    jws: string,
    periodStartMs: number,
    lineRefs: readonly (readonly string[])[] = [],
  ): Promise<{ jws: string; created: boolean }> {
    if (await this.redis.hexists(this.k.statements, entry.statementId))
      return { jws: (await this.get(entry.statementId)) ?? jws, created: false };
    const run = randomUUID();
    const keys = [
      this.k.statements,
      this.k.lifecycle,
      this.k.byOperator(entry.parties[0]),
      this.k.byOperator(entry.parties[1]),
    ];
    for (const [i, refs] of lineRefs.entries()) {
      const staging = this.k.staging(entry.statementId, i + 1, run);
      for (let j = 0; j < refs.length; j += 5000) await this.redis.rpush(staging, ...refs.slice(j, j + 5000));
      if (refs.length > 0) await this.redis.expire(staging, STAGING_TTL_S);
      keys.push(staging, this.k.refs(entry.statementId, i + 1));
    }
    const [created, stored] = await this.cmd.federaSettleIssue(
      keys.length,
      ...keys,
      entry.statementId,
      jws,
      JSON.stringify(ISSUED),
      periodStartMs,
    );
    return { jws: stored, created: created === 1 };
  }

  async refs(statementId: string, lineNo: number, offset = 0, limit = 1000): Promise<string[]> {
    return this.redis.lrange(this.k.refs(statementId, lineNo), offset, offset + limit - 1);
  }

  async allRefs(statementId: string, lineNo: number): Promise<string[]> {
    return this.redis.lrange(this.k.refs(statementId, lineNo), 0, -1);
  }

  async markSettled(periodId: string): Promise<void> {
    await this.redis.sadd(this.k.settled, periodId);
  }

  async settledPeriods(): Promise<string[]> {
    return this.redis.smembers(this.k.settled);
  }

  async isSettled(periodId: string): Promise<boolean> {
    return (await this.redis.sismember(this.k.settled, periodId)) === 1;
  }

  /**
   * The end of the last settled period of a schedule (calendar/schedule.ts `scheduleKey`); fixed
   * schedules, and callers naming none, share the key they always had (metrics read it).
   */
  async cursor(schedule?: string): Promise<number | null> {
    const v = await this.redis.get(this.cursorKey(schedule));
    return v === null ? null : Number(v);
  }

  /** Advance (never rewind) the end of the last settled period of a schedule, atomically. */
  async advanceCursor(endMs: number, schedule?: string): Promise<void> {
    await this.cmd.federaSettleCursor('1', this.cursorKey(schedule), String(endMs));
  }

  /**
   * The schedule history the last run accepted (calendar/schedule-history.ts), or null when no run
   * has accepted one yet (the first run accepts what it finds).
   */
  async acceptedScheduleHistory(): Promise<Map<string, HistoryEntry[]> | null> {
    const raw = await this.redis.hgetall(this.k.scheduleHistory);
    if (raw[ACCEPTED_FIELD] === undefined) return null;
    const out = new Map<string, HistoryEntry[]>();
    for (const [pair, v] of Object.entries(raw))
      if (pair !== ACCEPTED_FIELD) out.set(pair, JSON.parse(v) as HistoryEntry[]);
    return out;
  }

  /** Replace the accepted schedule history (one MULTI: readers see the old one or the new one). */
  async acceptScheduleHistory(histories: ScheduleHistories): Promise<void> {
    const fields: string[] = [ACCEPTED_FIELD, new Date().toISOString()];
    for (const [pair, entries] of histories) fields.push(pair, JSON.stringify(entries));
    await this.redis
      .multi()
      .del(this.k.scheduleHistory)
      .hset(this.k.scheduleHistory, ...fields)
      .exec();
  }

  private cursorKey(schedule?: string): string {
    return schedule === undefined || schedule.startsWith('fixed/')
      ? this.k.cursor
      : `${this.k.cursor}:${schedule}`;
  }

  async get(statementId: string): Promise<string | null> {
    return this.redis.hget(this.k.statements, statementId);
  }

  async forOperator(operator: string | null, limit = 200): Promise<string[]> {
    if (operator) return this.redis.zrevrange(this.k.byOperator(operator), 0, limit - 1);
    return (await this.redis.hkeys(this.k.statements)).sort().reverse().slice(0, limit);
  }

  /**
   * The latest statements (by id: period first, so newest periods first) with their payloads and
   * states, for the metrics collector. The payload is read as stored, not verified: it is this
   * store's own write-once copy, and nothing here is handed to an operator.
   */
  async recentStatements(limit = 1000): Promise<RecentStatement[]> {
    const ids = await this.forOperator(null, limit);
    if (ids.length === 0) return [];
    const [jws, lifecycles] = await Promise.all([
      this.redis.hmget(this.k.statements, ...ids),
      this.redis.hmget(this.k.lifecycle, ...ids),
    ]);
    return ids.flatMap((statementId, i) => {
      const compact = jws[i];
      const lifecycle = lifecycles[i];
      if (!compact || !lifecycle) return [];
      const payload = JSON.parse(
        Buffer.from(compact.split('.')[1] ?? '', 'base64url').toString('utf8'),
      ) as StatementPayload;
      return [{ statementId, payload, status: (JSON.parse(lifecycle) as Lifecycle).status }];
    });
  }

  async lifecycle(statementId: string): Promise<Lifecycle | null> {
    const raw = await this.redis.hget(this.k.lifecycle, statementId);
    return raw ? (JSON.parse(raw) as Lifecycle) : null;
  }

  /**
   * Move a statement's lifecycle by compare-and-set: `decide` sees the stored lifecycle and returns
   * the next one (or throws, e.g. STATEMENT_STATE); the write lands only if nobody changed the
   * lifecycle in between, otherwise `decide` runs again on the fresh state. So two transitions never
   * both win from the same state, and none is lost.
   */
  async transition(statementId: string, decide: Decide): Promise<Transitioned> {
    for (let attempt = 0; attempt < MAX_TRANSITION_ATTEMPTS; attempt++) {
      const raw = await this.redis.hget(this.k.lifecycle, statementId);
      if (raw === null) throw new FederaError('NOT_FOUND', `no statement '${statementId}'`);
      const before = JSON.parse(raw) as Lifecycle;
      const decided = decide(before);
      if (decided === null) return { before, after: before, changed: false };
      const { adjustment: adj, creditNote } = decided;
      // the script writes one field beside the lifecycle: the pending credit note, or the adjustment,
      // kept under the period it lands in so a run reads only its own
      const sideKey = creditNote
        ? this.k.pendingCreditNotes
        : adj
          ? this.k.adjustmentsOf(adj.targetPeriod)
          : this.k.adjustments;
      const args = [this.k.lifecycle, sideKey, statementId, raw, JSON.stringify(decided.next)];
      if (adj)
        args.push(
          adj.adjustment.statementId,
          JSON.stringify({ targetPeriod: adj.targetPeriod, ...adj.adjustment }),
        );
      else if (creditNote) args.push(creditNote.creditNoteId, JSON.stringify(creditNote));
      if ((await this.cmd.federaSettleTransition('2', ...args)) === 1)
        return { before, after: decided.next, changed: true };
    }
    throw new FederaError('INTERNAL', `statement '${statementId}' is changing too often; try again`);
  }

  /**
   * The dispute adjustments landing in a period: its own hash (one read however many adjustments
   * other periods have), plus those written before adjustments were kept per period, found in the
   * old shared hash by field prefix (it no longer grows; skipped when it does not exist).
   */
  async adjustmentsFor(periodId: string): Promise<DisputeAdjustment[]> {
    const own = Object.values(await this.redis.hgetall(this.k.adjustmentsOf(periodId)));
    const legacy: string[] = [];
    if ((await this.redis.exists(this.k.adjustments)) === 1) {
      const match = `${periodId.replace(/[*?[\]\\]/g, '\\$&')}|*`;
      let cursor = '0';
      do {
        const [next, flat] = await this.redis.hscan(
          this.k.adjustments,
          cursor,
          'MATCH',
          match,
          'COUNT',
          1000,
        );
        for (let i = 1; i < flat.length; i += 2) legacy.push(flat[i]!);
        cursor = next;
      } while (cursor !== '0');
    }
    return [...legacy, ...own]
      .map((v) => JSON.parse(v) as DisputeAdjustment & { targetPeriod?: string })
      .sort((a, b) => (a.statementId < b.statementId ? -1 : a.statementId > b.statementId ? 1 : 0))
      .map(({ statementId, originalPeriod, creditor, debtor, amount, currency }) => ({
        statementId,
        originalPeriod,
        creditor,
        debtor,
        amount,
        ...(currency ? { currency } : {}),
      }));
  }

  /** A credit note: signed (`jws`), or still `pending` until the settlement worker signs it. */
  async creditNote(creditNoteId: string): Promise<{ jws: string } | { pending: CreditNotePayload } | null> {
    const jws = await this.redis.hget(this.k.creditNotes, creditNoteId);
    if (jws) return { jws };
    const pending = await this.redis.hget(this.k.pendingCreditNotes, creditNoteId);
    return pending ? { pending: JSON.parse(pending) as CreditNotePayload } : null;
  }

  /**
   * Sign the pending credit notes with the clearing key and store each write-once (HSETNX: a note is
   * never rewritten; Ed25519 signs the same payload to the same bytes anyway). A pending payload is
   * not signed as stored: the note is rebuilt from the statement (its clearing signature verified
   * against this key) and its recorded resolution (credit-note.ts `creditNoteOfResolution`), and
   * only a payload equal to that is signed. Any other stays pending, unsigned, and is returned as
   * refused with the reason, for the worker to report.
   */
  async issueCreditNotes(
    clearingKey: JWK,
  ): Promise<{ issued: string[]; refused: { creditNoteId: string; reason: string }[] }> {
    const pending = await this.redis.hgetall(this.k.pendingCreditNotes);
    const issued: string[] = [];
    const refused: { creditNoteId: string; reason: string }[] = [];
    // the public half: what a party verifies the statement with
    const { d: _private, ...publicJwk } = clearingKey;
    for (const [id, raw] of Object.entries(pending).sort(([x], [y]) => x.localeCompare(y))) {
      const checked = await this.rebuildCreditNote(id, raw, { keys: [publicJwk] });
      if ('refused' in checked) {
        refused.push({ creditNoteId: id, reason: checked.refused });
        continue;
      }
      const jws = await signCreditNote(checked.note, clearingKey);
      await this.redis.hsetnx(this.k.creditNotes, id, jws);
      await this.redis.hdel(this.k.pendingCreditNotes, id);
      issued.push(id);
    }
    return { issued, refused };
  }

  private async rebuildCreditNote(
    creditNoteId: string,
    raw: string,
    jwks: JSONWebKeySet,
  ): Promise<{ note: CreditNotePayload } | { refused: string }> {
    const suffix = creditNoteIdOf('');
    if (!creditNoteId.endsWith(suffix)) return { refused: 'not a credit note id' };
    const statementId = creditNoteId.slice(0, -suffix.length);
    const jws = await this.get(statementId);
    if (!jws) return { refused: `no statement '${statementId}'` };
    let statement: StatementPayload;
    try {
      statement = (await verifyStatement(jws, jwks)).payload;
    } catch (err) {
      return { refused: `the stored statement does not verify: ${(err as Error).message}` };
    }
    const expected = creditNoteOfResolution(statement, await this.lifecycle(statementId), creditNoteId);
    if ('refused' in expected) return expected;
    let stored: CreditNotePayload;
    try {
      stored = JSON.parse(raw) as CreditNotePayload;
    } catch {
      return { refused: 'the pending payload is not JSON' };
    }
    if (!sameCreditNote(stored, expected.note))
      return { refused: 'the pending payload differs from the statement and its recorded resolution' };
    return expected;
  }
}
