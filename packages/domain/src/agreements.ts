/**
 * Settlement agreements: what two operators agreed about settling the roaming traffic between them.
 * Partner operators clear by their own calendar (a month in their time zone, say), in an
 * agreed currency, and may dispute a statement only within a window after it is issued. A pair with
 * no agreement settles by the federation's defaults (the settlement service's configuration).
 *
 * Agreements are effective-dated: a pair may have several, each in force from its `effectiveFrom`
 * (an ISO-8601 instant with an offset) until the next one's; one without `effectiveFrom` is in force
 * since the beginning. Before a pair's first agreement starts, the federation's defaults apply. What
 * is in force at a usage record's time decides which schedule settles that record.
 */
import { z } from 'zod';

const operatorId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);

/** an IANA time-zone name this runtime's time-zone database knows (e.g. Europe/Stockholm, UTC) */
export const timeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not an IANA time zone' },
  );

export const currencyCodeSchema = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code');

export const agreementSchema = z
  .object({
    /** the two operators, in any order */
    parties: z.tuple([operatorId, operatorId]),
    /**
     * the instant from which this agreement is in force (an ISO-8601 time with `Z` or an offset);
     * absent: since the beginning. It lasts until the pair's next agreement starts
     */
    effectiveFrom: z.iso
      .datetime({ offset: true, message: 'effectiveFrom must be an ISO-8601 time with Z or an offset' })
      .optional(),
    /**
     * the calendar period statements cover (absent: the federation's default schedule, a UTC month in
     * production), so an agreement may set only its currency or dispute window
     */
    period: z.enum(['day', 'week', 'month']).optional(),
    /** whose calendar: the period's days start at midnight here (and the dispute deadline is counted) */
    timeZone: timeZoneSchema.default('UTC'),
    /** the currency the statement nets and is paid in (absent: the federation's settlement currency) */
    currency: currencyCodeSchema.optional(),
    /** a party may dispute a statement up to this many days after it is issued; then it is final */
    disputeWindowDays: z.number().int().min(1).max(366).default(30),
    /** how an upheld dispute is settled: an adjustment line next period, or a credit note now */
    resolution: z.enum(['adjustment', 'credit-note']).default('adjustment'),
  })
  .refine((a) => a.parties[0] !== a.parties[1], { message: 'an agreement needs two different operators' });

export type Agreement = z.infer<typeof agreementSchema>;

/** the key of an unordered operator pair */
export const pairKey = (a: string, b: string) => (a < b ? `${a}~${b}` : `${b}~${a}`);

/** When an agreement starts, epoch ms: -Infinity for one in force since the beginning. */
export const agreementStartMs = (a: Pick<Agreement, 'effectiveFrom'>): number =>
  a.effectiveFrom === undefined ? -Infinity : Date.parse(a.effectiveFrom);

/** A pair's agreements, oldest first (by `agreementStartMs`). */
export const agreementHistory = (agreements: readonly Agreement[]): Agreement[] =>
  [...agreements].sort((x, y) => agreementStartMs(x) - agreementStartMs(y));

/**
 * The agreement in force at `atMs` among one pair's agreements sorted oldest first: the latest that
 * had started, or undefined (before the first one starts, the federation's defaults apply).
 */
export function agreementInForce(history: readonly Agreement[], atMs: number): Agreement | undefined {
  let found: Agreement | undefined;
  for (const a of history) {
    if (agreementStartMs(a) > atMs) break;
    found = a;
  }
  return found;
}
