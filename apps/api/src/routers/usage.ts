import { usageListInputSchema } from '@federa/domain';
import { router, tenantProcedure } from '../trpc';

export const usageRouter = router({
  /** The caller's own usage records, newest first. The tenant comes from the token only. */
  list: tenantProcedure.input(usageListInputSchema).query(async ({ ctx, input }) => {
    const records = await ctx.deps.ledger.listUsage(ctx.tenant.id, {
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
        startedAt: r.startedAt,
        completedAt: r.completedAt,
        flags: r.flags,
      })),
      nextBefore: records.length === input.limit ? records[records.length - 1]?.recordId : undefined,
    };
  }),

  /** Budget, holds in flight and spend of the caller. */
  balance: tenantProcedure.query(async ({ ctx }) => {
    const account = await ctx.deps.ledger.account(ctx.tenant.id);
    const currency = ctx.deps.topology().operator(ctx.tenant.homeOperator).currency;
    return { ...account, currency };
  }),
});
