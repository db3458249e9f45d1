/**
 * Shapes that cross the API edge. The tRPC router uses these schemas as its inputs, so the types
 * that handlers see are exactly what was validated.
 */
import { z } from 'zod';
import { modelIdSchema, routingPolicyInputSchema } from './topology';

export const MAX_MESSAGES = 256;
export const MAX_MESSAGE_CHARS = 128 * 1024;
export const MAX_OUTPUT_TOKENS = 32_768;

export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(MAX_MESSAGE_CHARS),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const requestIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'requestId: 1–128 characters of letters, digits, . _ : -');

export const completeInputSchema = z.object({
  requestId: requestIdSchema,
  model: modelIdSchema,
  messages: z.array(chatMessageSchema).min(1).max(MAX_MESSAGES),
  max_tokens: z.number().int().min(1).max(MAX_OUTPUT_TOKENS),
  /** Narrow the tenant's residency for this request (country codes or group names). */
  residency: z.array(z.string().min(2).max(32)).min(1).max(300).optional(),
});
export type CompleteInput = z.infer<typeof completeInputSchema>;

export const usageListInputSchema = z
  .object({
    limit: z.number().int().min(1).max(500).default(50),
    /** return records older than this record id (paging backwards) */
    before: z
      .string()
      .regex(/^\d+-\d+$/)
      .optional(),
  })
  .default({ limit: 50 });
export type UsageListInput = z.infer<typeof usageListInputSchema>;

/** The federation's "call detail record": one per served request. */
export interface UsageRecord {
  readonly requestId: string;
  readonly tenantId: string;
  readonly homeOperator: string;
  readonly servingOperator: string;
  readonly siteId: string;
  readonly jurisdiction: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly currency: string;
  /** minor units the tenant is charged (home operator's retail card) */
  readonly retailCharge: number;
  /** minor units the home operator owes the serving operator (0 on home sites) */
  readonly wholesaleCharge: number;
  readonly policyVersion: number;
  /** the ranked eligible sites the request was routed with (explainability) */
  readonly candidates?: readonly string[];
  /** when the control plane posted the usage minus the exchange's duration (informational) */
  readonly startedAt: string;
  /**
   * when the control plane posted the usage, by its own clock (never the site's): it decides the
   * rate card the record is priced with and the settlement period it falls in
   */
  readonly completedAt: string;
  /** attempts made before the serving one (failover) */
  readonly failedAttempts: number;
  /**
   * FAILOVER, PRIOR_ATTEMPT_TIMED_OUT, OVERAGE, LATE_POST, SITE_USAGE_DISPUTED (the site's input
   * count is off the edge count by more than the tolerance, or not a count), OUTPUT_CLAMPED (the site
   * reported more output than max_tokens; billed at max_tokens)
   */
  readonly flags: readonly string[];
  /**
   * the serving site's own token counts, present when they differ from what was billed (input is
   * billed at the API edge's count, output clamped to max_tokens); -1 where the site's figure was not
   * a count at all
   */
  readonly siteReported?: { readonly inputTokens: number; readonly outputTokens: number };
}

export interface StoredUsageRecord extends UsageRecord {
  /** the ledger's id for the record (a Redis stream id) */
  readonly recordId: string;
  /** the API key the request came with (its public id), from the hold; absent for sessions */
  readonly apiKeyId?: string;
}

const tenantIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'tenantId: lower-case letters, digits and dashes');
const minorUnitsSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const budgetSetInputSchema = z.object({
  tenantId: tenantIdSchema,
  /** per period ('period' mode) or total prepaid credit ('prepaid'), minor units */
  budget: minorUnitsSchema,
  mode: z.enum(['period', 'prepaid']).optional(),
  /** token-rate limit; 0 removes it */
  tokensPerMinute: z.number().int().nonnegative().max(1_000_000_000).optional(),
});
export type BudgetSetInput = z.infer<typeof budgetSetInputSchema>;

export const topUpInputSchema = z.object({
  tenantId: tenantIdSchema,
  /** the payment's id: a repeated top-up with the same id adds nothing */
  topUpId: requestIdSchema,
  amount: minorUnitsSchema.positive(),
});

export const tenantRefSchema = z.object({ tenantId: tenantIdSchema });

export const auditListInputSchema = usageListInputSchema;

export const groupSetInputSchema = z.object({
  name: z.string().regex(/^[A-Z][A-Z0-9_-]{1,31}$/, 'group names are upper-case, like EU or NORDICS'),
  countries: z.array(z.string().length(2)).min(1).max(300),
});

export const siteRefSchema = z.object({ siteId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/) });

export const explainInputSchema = z.object({
  model: z.string().min(1).max(128),
  residency: z.array(z.string().min(2).max(32)).min(1).max(300).optional(),
});

export const operatorFilterSchema = z
  .object({
    operator: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
      .optional(),
  })
  .default({});

const statementIdSchema = z.string().min(10).max(300);
export const statementRefSchema = z.object({ statementId: statementIdSchema });
export const statementGetSchema = z.object({
  statementId: statementIdSchema,
  format: z.enum(['json', 'csv']).default('json'),
});
export const statementRecordsSchema = z.object({
  statementId: statementIdSchema,
  lineNo: z.number().int().min(1),
  /** version-1 statements (stored references) */
  offset: z.number().int().min(0).default(0),
  /** version-2 statements: the last record reference of the previous page (a cursor) */
  after: z.string().min(3).max(200).optional(),
  limit: z.number().int().min(1).max(5000).default(1000),
});
export const disputeInputSchema = z.object({
  statementId: statementIdSchema,
  /** the disputing operator's own totals, per line, in the settlement currency */
  lines: z
    .array(
      z.object({
        lineNo: z.number().int().min(1),
        amount: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
      }),
    )
    .min(1)
    .max(10_000),
});
export const resolveInputSchema = z.object({
  statementId: statementIdSchema,
  creditor: z.string().min(1).max(63),
  debtor: z.string().min(1).max(63),
  /** settled in the next period, settlement currency, minor units */
  amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
/**
 * a settlement period: a calendar period (`2026-11@Europe/Paris`, `2026-W49@UTC`,
 * `2026-11-30@Asia/Tokyo`) or a fixed period's start as an ISO time in UTC; the server checks the
 * date exists, the zone is known and the instant starts a period
 */
export const periodIdSchema = z.union(
  [
    z
      .string()
      .max(100)
      .regex(/^\d{4}-(\d{2}|W\d{2}|\d{2}-\d{2})@[A-Za-z0-9_+\-/]{1,64}$/),
    z.iso.datetime().refine((v) => Number.isFinite(Date.parse(v)), 'periodId is not a valid time'),
  ],
  {
    error:
      'periodId: a calendar period (YYYY-MM, YYYY-Www or YYYY-MM-DD, then @ and an IANA time zone) or an ISO time',
  },
);
export const periodInputSchema = z.object({ periodId: periodIdSchema });
export const verifyInputSchema = z.object({
  jws: z
    .string()
    .min(10)
    .max(20 * 1024 * 1024),
  recompute: z.boolean().default(true),
});
export const inclusionInputSchema = z.object({
  statementId: statementIdSchema,
  recordRef: z.string().min(3).max(200),
});
export const fxAddInputSchema = z.object({
  from: z.string().regex(/^[A-Z]{3}$/),
  to: z.string().regex(/^[A-Z]{3}$/),
  rateMicros: z.number().int().positive().max(1e15),
  effectiveFrom: z.iso.datetime(),
  /** where the rate comes from, printed on statements */
  source: z.string().min(1).max(100).default('registry'),
});

/** `policy.preview`: a candidate routing policy (not saved) and the model to rank sites for. */
export const policyPreviewInputSchema = z.object({
  policy: routingPolicyInputSchema,
  /** absent: the model most of the federation's sites serve */
  model: modelIdSchema.optional(),
});
