/**
 * Usage streams stay bounded: once a settlement period is settled (and `afterMs` has passed since it
 * closed), the usage records posted up to its end are copied to a segment on disk (segment-files.ts:
 * gzip'd NDJSON per tenant plus a manifest), the archive's watermark moves to the period's end, and
 * the live streams are trimmed (XTRIM MINID) up to the *previous* watermark. Trimming one segment
 * behind means a reader that read the watermark just before it moved still finds those records live.
 *
 * Readers (settlement runs and recomputes, `usage.list`, tenant statements) read through
 * `UsageReader`: archived segments below the watermark, the live stream from it, so every answer is
 * the same before and after archiving.
 */
import { join } from 'node:path';
import type { StoredUsageRecord } from '@federa/domain';
import { tenantKeys, type Ledger } from '@federa/ledger';
import { archivableUntil } from '../calendar/archive-frontier';
import { fixedSchedule, type Schedule } from '../calendar/schedule';
import type { SettlementStore } from '../store';
import {
  readTenantFile,
  segmentDir,
  writeManifest,
  writeTenantFile,
  type Manifest,
  type Segment,
} from './segment-files';
import { compareStreamIds, streamIdMs } from './stream-ids';

export interface ArchiveConfig {
  /** where segments are written; every API and worker process must see the same directory */
  readonly dir: string;
  /** keep a settled period live this long after it closed before archiving it */
  readonly afterMs: number;
}

export interface UsageReader {
  between(
    tenantId: string,
    fromMs: number,
    toMs: number,
    pageSize?: number,
  ): AsyncGenerator<StoredUsageRecord>;
  list(tenantId: string, opts: { limit: number; before?: string | undefined }): Promise<StoredUsageRecord[]>;
}

/** The ledger alone, when no archive is configured. */
export function liveReader(ledger: Ledger): UsageReader {
  return {
    between: (t, from, to, pageSize) => ledger.usageBetween(t, from, to, pageSize),
    list: (t, opts) => ledger.listUsage(t, opts),
  };
}

export function usageReader(ledger: Ledger, store: SettlementStore, archive?: ArchiveConfig): UsageReader {
  return archive ? new UsageArchive(ledger, store, archive) : liveReader(ledger);
}

export class UsageArchive implements UsageReader {
  private readonly root: string;
  private readonly watermarkKey: string;
  private readonly segmentsKey: string;

  constructor(
    private readonly ledger: Ledger,
    private readonly store: SettlementStore,
    private readonly config: ArchiveConfig,
  ) {
    this.root = join(config.dir, encodeURIComponent(store.namespace));
    this.watermarkKey = `${store.prefix}:archive:watermark`;
    this.segmentsKey = `${store.prefix}:archive:segments`;
  }

  /** records posted before this (ms) are archived */
  async watermark(): Promise<number> {
    return Number((await this.store.redis.get(this.watermarkKey)) ?? 0);
  }

  async segments(): Promise<Segment[]> {
    const members = await this.store.redis.zrange(this.segmentsKey, 0, -1);
    return members.map((m) => JSON.parse(m) as Segment);
  }

  /**
   * Archive, one segment per period boundary, oldest first, as far as every schedule in use has
   * settled without a gap from the watermark, in periods that closed more than `afterMs` ago (see
   * calendar/archive-frontier.ts). `schedules` may be a fixed period length (one fixed schedule).
   * Returns the segments written.
   */
  async archiveDue(
    tenants: readonly string[],
    nowMs: number,
    schedules: number | readonly Schedule[],
    graceMs: number,
    /** when each schedule starts to be needed (calendar/schedule.ts `scheduleStarts`) */
    starts?: (scheduleKey: string) => readonly number[],
  ) {
    const inUse = typeof schedules === 'number' ? [fixedSchedule(schedules)] : schedules;
    const settledIds = await this.store.settledPeriods();
    const settled = new Set(settledIds);
    const cuts = archivableUntil({
      schedules: inUse,
      isSettled: (id) => settled.has(id),
      settledIds,
      watermark: await this.watermark(),
      nowMs,
      graceMs,
      afterMs: this.config.afterMs,
      ...(starts ? { starts } : {}),
    });
    const written: Segment[] = [];
    for (const toMs of cuts) written.push(await this.archiveSegment(tenants, toMs));
    return written;
  }

  /** Archive the records posted in [watermark, toMs), move the watermark, trim one segment behind. */
  async archiveSegment(tenants: readonly string[], toMs: number): Promise<Segment> {
    const fromMs = await this.watermark();
    const segment = { fromMs, toMs };
    const dir = segmentDir(this.root, segment);
    const files: Record<string, { records: number; sha256: string }> = {};
    for (const t of tenants)
      files[t] = await writeTenantFile(dir, t, this.ledger.usageBetween(t, fromMs, toMs, 5000));
    const manifest: Manifest = { format: 'federa.usage-archive.v1', ...segment, tenants: files };
    await writeManifest(dir, manifest);
    await this.store.redis
      .multi()
      .zadd(this.segmentsKey, toMs, JSON.stringify(segment))
      .set(this.watermarkKey, String(toMs))
      .exec();
    // everything before the previous watermark is in earlier segments and nobody reads it live
    for (const t of tenants) await this.store.redis.xtrim(tenantKeys(t).usage, 'MINID', `${fromMs}-0`);
    return segment;
  }

  async *between(
    tenantId: string,
    fromMs: number,
    toMs: number,
    pageSize = 1000,
  ): AsyncGenerator<StoredUsageRecord> {
    const watermark = await this.watermark();
    for (const s of await this.segments()) {
      if (s.toMs <= fromMs || s.fromMs >= Math.min(toMs, watermark)) continue;
      for await (const r of readTenantFile(segmentDir(this.root, s), tenantId)) {
        const at = streamIdMs(r.recordId);
        if (at >= fromMs && at < toMs) yield r;
      }
    }
    if (toMs > watermark)
      yield* this.ledger.usageBetween(tenantId, Math.max(fromMs, watermark), toMs, pageSize);
  }

  /** Newest first, like the ledger's list, continuing into the archive when the live stream ends. */
  async list(
    tenantId: string,
    opts: { limit: number; before?: string | undefined },
  ): Promise<StoredUsageRecord[]> {
    const watermark = await this.watermark();
    const out = (await this.ledger.listUsage(tenantId, opts)).filter(
      (r) => streamIdMs(r.recordId) >= watermark,
    );
    if (out.length >= opts.limit) return out;
    const segments = (await this.segments()).filter((s) => s.toMs <= watermark).reverse();
    for (const s of segments) {
      if (opts.before !== undefined && s.fromMs > streamIdMs(opts.before)) continue;
      const records: StoredUsageRecord[] = [];
      for await (const r of readTenantFile(segmentDir(this.root, s), tenantId))
        if (opts.before === undefined || compareStreamIds(r.recordId, opts.before) < 0) records.push(r);
      for (const r of records.reverse()) {
        out.push(r);
        if (out.length >= opts.limit) return out;
      }
    }
    return out;
  }
}
