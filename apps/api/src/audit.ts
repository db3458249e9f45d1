/**
 * The append-only audit log of admin (and operator) changes: who, when, which procedure, what it
 * touched, before and after. Nothing in the API edits or deletes it; it lives in one Redis stream.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Principal } from '@federa/auth';

export const AUDIT_STREAM = 'federa:audit';

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
  constructor(private readonly redis: Redis | Cluster) {}

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
    return (await this.redis.xadd(AUDIT_STREAM, '*', 'entry', JSON.stringify(entry))) ?? '';
  }

  /** Newest first, paging backwards from `before`. */
  async list(opts: { limit: number; before?: string | undefined }): Promise<AuditEntry[]> {
    const end = opts.before ? `(${opts.before}` : '+';
    const rows = await this.redis.xrevrange(AUDIT_STREAM, end, '-', 'COUNT', opts.limit);
    return rows.map(([id, fields]) => ({ id, ...(JSON.parse(fields[1] ?? '{}') as Omit<AuditEntry, 'id'>) }));
  }
}
