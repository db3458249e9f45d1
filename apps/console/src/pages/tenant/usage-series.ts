/**
 * The Usage page's arithmetic, kept out of React so it can be tested on its own: usage records
 * grouped into time buckets per model, site or jurisdiction (what the charts draw), totals per
 * group (the charts' accessible table) and where requests were served.
 */

/** The fields of a usage record the charts need (usage.list returns more). */
export interface UsagePoint {
  readonly completedAt: string;
  readonly model: string;
  readonly siteId: string;
  readonly servingOperator: string;
  readonly jurisdiction: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** micro-units */
  readonly charge: number;
}

export type Dimension = 'model' | 'siteId' | 'jurisdiction';
export type Measure = 'tokens' | 'charge';

export const DIMENSIONS: readonly { readonly value: Dimension; readonly label: string }[] = [
  { value: 'model', label: 'Model' },
  { value: 'siteId', label: 'Site' },
  { value: 'jurisdiction', label: 'Jurisdiction' },
];

/** Bucket widths to choose from, smallest first: a minute up to a week. */
const BUCKET_LADDER_MS = [
  60_000,
  5 * 60_000,
  15 * 60_000,
  60 * 60_000,
  6 * 60 * 60_000,
  24 * 60 * 60_000,
  7 * 24 * 60 * 60_000,
];

/** At most this many bars: more would be unreadable on a phone. */
export const MAX_BUCKETS = 48;

export interface Bucket {
  /** start of the bucket, epoch ms (UTC-aligned to the bucket width) */
  readonly start: number;
  /** the measure per group key; groups absent from the bucket are 0 */
  readonly values: Readonly<Record<string, number>>;
}

export interface Series {
  readonly bucketMs: number;
  readonly buckets: readonly Bucket[];
  /** group keys, largest total first (the stacking and legend order) */
  readonly keys: readonly string[];
}

export function measureOf(r: UsagePoint, measure: Measure): number {
  return measure === 'tokens' ? r.inputTokens + r.outputTokens : r.charge;
}

/** The smallest width on the ladder that covers [from, to] in at most MAX_BUCKETS buckets. */
export function bucketWidthFor(fromMs: number, toMs: number): number {
  for (const width of BUCKET_LADDER_MS) {
    if (Math.floor(toMs / width) - Math.floor(fromMs / width) + 1 <= MAX_BUCKETS) return width;
  }
  return BUCKET_LADDER_MS[BUCKET_LADDER_MS.length - 1]!;
}

/**
 * Records into contiguous time buckets (empty buckets included, so gaps show as gaps), each holding
 * the measure per group. Records whose time cannot be read are left out.
 */
export function usageSeries(records: readonly UsagePoint[], dimension: Dimension, measure: Measure): Series {
  const timed = records
    .map((r) => ({ r, at: Date.parse(r.completedAt) }))
    .filter((t) => Number.isFinite(t.at));
  if (timed.length === 0) return { bucketMs: BUCKET_LADDER_MS[0]!, buckets: [], keys: [] };
  const from = Math.min(...timed.map((t) => t.at));
  const to = Math.max(...timed.map((t) => t.at));
  const width = bucketWidthFor(from, to);
  const first = Math.floor(from / width) * width;
  const count = Math.floor(to / width) - Math.floor(from / width) + 1;
  const sums: Record<string, number>[] = Array.from({ length: count }, () => ({}));
  for (const { r, at } of timed) {
    const slot = sums[Math.floor((at - first) / width)]!;
    const key = r[dimension];
    slot[key] = (slot[key] ?? 0) + measureOf(r, measure);
  }
  const keys = totalsBy(records, dimension, measure).map((t) => t.key);
  return {
    bucketMs: width,
    keys,
    buckets: sums.map((slot, i) => ({
      start: first + i * width,
      values: Object.fromEntries(keys.map((k) => [k, slot[k] ?? 0])),
    })),
  };
}

export interface Total {
  readonly key: string;
  readonly requests: number;
  readonly value: number;
}

/** The measure summed per group, largest first (ties by key, so the order is stable). */
export function totalsBy(records: readonly UsagePoint[], dimension: Dimension, measure: Measure): Total[] {
  const by = new Map<string, { requests: number; value: number }>();
  for (const r of records) {
    const t = by.get(r[dimension]) ?? { requests: 0, value: 0 };
    t.requests += 1;
    t.value += measureOf(r, measure);
    by.set(r[dimension], t);
  }
  return [...by]
    .map(([key, t]) => ({ key, ...t }))
    .sort((a, b) => b.value - a.value || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface ServedAt {
  readonly siteId: string;
  readonly jurisdiction: string;
  readonly servingOperator: string;
  readonly requests: number;
  readonly tokens: number;
  readonly charge: number;
}

/** Where requests were served: one row per site, most requests first. */
export function servedWhere(records: readonly UsagePoint[]): ServedAt[] {
  const by = new Map<string, ServedAt>();
  for (const r of records) {
    const t = by.get(r.siteId);
    by.set(r.siteId, {
      siteId: r.siteId,
      jurisdiction: r.jurisdiction,
      servingOperator: r.servingOperator,
      requests: (t?.requests ?? 0) + 1,
      tokens: (t?.tokens ?? 0) + r.inputTokens + r.outputTokens,
      charge: (t?.charge ?? 0) + r.charge,
    });
  }
  return [...by.values()].sort(
    (a, b) => b.requests - a.requests || (a.siteId < b.siteId ? -1 : a.siteId > b.siteId ? 1 : 0),
  );
}

/** A bucket's start as a short UTC label: the time for buckets under a day, else the date. */
export function bucketLabel(startMs: number, bucketMs: number): string {
  const iso = new Date(startMs).toISOString();
  if (bucketMs >= 24 * 60 * 60_000) return iso.slice(0, 10);
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/** A bucket width in words: "5-minute", "1-hour", "1-day". */
export function bucketWidthText(bucketMs: number): string {
  const minutes = Math.round(bucketMs / 60_000);
  if (minutes < 60) return `${minutes}-minute`;
  if (minutes < 24 * 60) return `${Math.round(minutes / 60)}-hour`;
  if (minutes < 7 * 24 * 60) return `${Math.round(minutes / (24 * 60))}-day`;
  return `${Math.round(minutes / (7 * 24 * 60))}-week`;
}
