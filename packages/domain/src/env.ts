/**
 * Environment settings every Federa process must agree on (the API and the worker read the same
 * names with the same defaults), as one zod shape each app's config spreads into its own schema.
 */
import { z } from 'zod';
import { timeZoneSchema } from './agreements';

export const federationEnvShape = {
  /** one registry, settlement store and schedule per federation */
  FEDERA_REGISTRY_NAMESPACE: z.string().default('default'),
  FEDERA_SETTLEMENT_PERIOD_MS: z.coerce.number().int().min(1000).default(3_600_000),
  /**
   * the periods of operator pairs without an agreement: a calendar day, ISO week or month in
   * FEDERA_SETTLEMENT_TIME_ZONE, or 'fixed' (FEDERA_SETTLEMENT_PERIOD_MS long, for dev and tests);
   * unset: month in production, fixed elsewhere
   */
  FEDERA_SETTLEMENT_PERIOD: z.enum(['fixed', 'day', 'week', 'month']).optional(),
  FEDERA_SETTLEMENT_TIME_ZONE: timeZoneSchema.default('UTC'),
  FEDERA_SETTLEMENT_GRACE_MS: z.coerce.number().int().min(0).default(300_000),
  FEDERA_SETTLEMENT_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('EUR'),
  /** payload keys (dev: one file with every jurisdiction's key); absent = clear payloads only */
  FEDERA_PAYLOAD_KEYS_FILE: z.string().default('.data/dev/keys/payload-keys.json'),
  FEDERA_BILLING_PERIOD: z.enum(['month', 'day', 'hour']).default('month'),
  /**
   * how long a request id is remembered: its resolved hold (idempotent replays, then pruned by the
   * worker's sweep) and the fingerprint of its body at the API (IDEMPOTENCY_KEY_REUSED): 7 days
   */
  FEDERA_HOLD_REPLAY_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(7 * 24 * 3600 * 1000),
  /** settled usage is archived here (gzip'd NDJSON) and trimmed from Redis; '' = never archive */
  FEDERA_USAGE_ARCHIVE_DIR: z.string().default('.data/dev/usage-archive'),
  /** how long a settled period's usage stays live in Redis after it closed */
  FEDERA_USAGE_ARCHIVE_AFTER_MS: z.coerce.number().int().min(0).default(86_400_000),
};

/** The usage archive both processes must agree on (absent = off). */
export function usageArchiveOf(e: {
  FEDERA_USAGE_ARCHIVE_DIR: string;
  FEDERA_USAGE_ARCHIVE_AFTER_MS: number;
}) {
  return e.FEDERA_USAGE_ARCHIVE_DIR === ''
    ? {}
    : { archive: { dir: e.FEDERA_USAGE_ARCHIVE_DIR, afterMs: e.FEDERA_USAGE_ARCHIVE_AFTER_MS } };
}

/**
 * The federation's default settlement schedule (settlement's calendar/schedule.ts `Schedule`), or
 * none: fixed FEDERA_SETTLEMENT_PERIOD_MS periods. Production settles by calendar month unless told.
 */
export function settlementScheduleOf(e: {
  FEDERA_ENV?: string;
  FEDERA_SETTLEMENT_PERIOD?: 'fixed' | 'day' | 'week' | 'month' | undefined;
  FEDERA_SETTLEMENT_TIME_ZONE: string;
}) {
  const unit = e.FEDERA_SETTLEMENT_PERIOD ?? (e.FEDERA_ENV === 'production' ? 'month' : 'fixed');
  return unit === 'fixed'
    ? {}
    : { schedule: { kind: 'calendar' as const, unit, timeZone: e.FEDERA_SETTLEMENT_TIME_ZONE } };
}
