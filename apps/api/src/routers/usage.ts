import { usageListInputSchema } from '@federa/domain';
import { usageReader } from '@federa/settlement';
import { router, tenantProcedure } from '../trpc';

export const usageRouter = router({
  /** The caller's own usage records, newest first. The tenant comes from the token only. */
  list: tenantProcedure.input(usageListInputSchema).query(async ({ ctx, input }) => {
    // archived periods included: the answer is the same before and after the streams are trimmed
    const { store, config } = ctx.deps.settlement;
    const records = await usageReader(ctx.deps.ledger, store, config.archive).list(ctx.tenant.id, {
      limit: input.limit,
      before: input.before,
    });
    return {
      records: records.map((r) => ({
        recordId: r.recordId,
        requestId: r.requestId,
        model: r.model,
        siteId: r.siteId,
        servingOperator: r.servingOperator,
        jurisdiction: r.jurisdiction,
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        charge: r.retailCharge,
        currency: r.currency,
        policyVersion: r.policyVersion,
        // why it was served there: the ranked eligible sites it was routed with (absent on records
        // older than the field) and how many of them failed before this one served it
        candidates: r.candidates ?? [],
        failedAttempts: r.failedAttempts,
        startedAt: r.startedAt,
        completedAt: r.completedAt,
        flags: r.flags,
        ...(r.apiKeyId ? { apiKeyId: r.apiKeyId } : {}),
      })),
      nextBefore: records.length === input.limit ? records[records.length - 1]?.recordId : undefined,
    };
  }),

  /** Budget, holds in flight and spend of the caller, in the current budget period. */
  summary: tenantProcedure.query(async ({ ctx }) => {
    const { ledger } = ctx.deps;
    const [account, holds] = await Promise.all([
      ledger.account(ctx.tenant.id),
      ledger.pendingHolds(ctx.tenant.id, 100),
    ]);
    return {
      currency: ctx.topology.operator(ctx.tenant.homeOperator).currency,
      mode: account.mode,
      period: account.period,
      budget: account.budget,
      spent: account.posted,
      overage: account.overage,
      held: account.pending,
      available: account.available,
      tokensPerMinute: account.tokensPerMinute,
      holdsInFlight: holds.map((h) => ({
        requestId: h.requestId,
        amount: h.amount,
        expiresAt: new Date(h.expiresAt).toISOString(),
      })),
    };
  }),
});
