/**
 * Settlement agreements: what two operators agreed about settling the roaming traffic between them.
 * Partner operators clear by their own calendar (a month in their time zone, say), in an
 * agreed currency, and may dispute a statement only within a window after it is issued. A pair with
 * no agreement settles by the federation's defaults (the settlement service's configuration).
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
