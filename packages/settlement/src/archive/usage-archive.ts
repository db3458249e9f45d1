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
import { periodById } from '../engine';
import { periodOf } from '../statement';
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

const isPeriodStart = (id: string, periodMs: number) =>
  Number.isFinite(Date.parse(id)) && periodOf(Date.parse(id), periodMs).id === id;

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
   * Archive every settled period, oldest first, that closed more than `afterMs` ago and follows the
   * watermark without an unsettled period in between. Returns the segments written.
   */
  async archiveDue(tenants: readonly string[], nowMs: number, periodMs: number, graceMs: number) {
    const written: Segment[] = [];
    const settled = (await this.store.settledPeriods())
      // periods of an earlier period length (the setting changed) are not this archive's to cut
      .flatMap((id) => (isPeriodStart(id, periodMs) ? [periodById(id, periodMs)] : []))
      .sort((a, b) => a.startMs - b.startMs);
    for (const p of settled) {
      const watermark = await this.watermark();
      if (p.endMs <= watermark) continue;
      if (p.endMs + graceMs + this.config.afterMs > nowMs) break;
      // a gap (an unsettled period after the watermark) stops archiving until it is settled
      if (watermark > 0 && p.startMs !== watermark) break;
      written.push(await this.archiveSegment(tenants, p.endMs));
    }
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
