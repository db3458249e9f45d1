/**
 * The append-only audit log of admin (and operator) changes: who, when, which procedure, what it
 * touched, before and after. Nothing in the API edits it; it lives in one Redis stream, and entries
 * older than the retention window (FEDERA_AUDIT_RETENTION_MS, 400 days by default) are dropped as
 * new ones are appended, so the stream does not grow without bound. Keep an export of it elsewhere
 * if a longer record is required.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Principal } from '@federa/auth';

export const AUDIT_STREAM = 'federa:audit';
/** long enough to cover a yearly audit, with a margin */
export const DEFAULT_AUDIT_RETENTION_MS = 400 * 24 * 3600 * 1000;

export interface AuditLogOptions {
  /** the stream key (tests use their own) */
  readonly stream?: string;
  readonly retentionMs?: number;
}

export interface AuditEntry {
  readonly id: string;
  readonly at: string;
  readonly actor: { readonly role: string; readonly subject: string };
  readonly procedure: string;
  readonly target: string;
  readonly before: unknown;
  readonly after: unknown;
}

export class AuditLog {
  private readonly stream: string;
  private readonly retentionMs: number;

  constructor(
    private readonly redis: Redis | Cluster,
    opts: AuditLogOptions = {},
  ) {
    this.stream = opts.stream ?? AUDIT_STREAM;
    this.retentionMs = opts.retentionMs ?? DEFAULT_AUDIT_RETENTION_MS;
  }

  async append(
    actor: Principal,
    procedure: string,
    target: string,
    before: unknown,
    after: unknown,
  ): Promise<string> {
    const entry = {
      at: new Date().toISOString(),
      actor: { role: actor.role, subject: actor.subject },
      procedure,
      target,
      before,
      after,
    };
    const id = (await this.redis.xadd(this.stream, '*', 'entry', JSON.stringify(entry))) ?? '';
    // trimmed by the Redis time in the new entry's id, so API hosts' clocks do not matter; a failed
    // trim is caught up by the next append
    const appendedAt = Number(id.split('-')[0]);
    if (appendedAt > this.retentionMs) {
      await this.redis.xtrim(this.stream, 'MINID', `${appendedAt - this.retentionMs}-0`).catch(() => 0);
    }
    return id;
  }

  /** Newest first, paging backwards from `before`. */
  async list(opts: { limit: number; before?: string | undefined }): Promise<AuditEntry[]> {
    const end = opts.before ? `(${opts.before}` : '+';
    const rows = await this.redis.xrevrange(this.stream, end, '-', 'COUNT', opts.limit);
    return rows.map(([id, fields]) => ({ id, ...(JSON.parse(fields[1] ?? '{}') as Omit<AuditEntry, 'id'>) }));
  }
}
