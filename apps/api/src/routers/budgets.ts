import { budgetSetInputSchema, tenantRefSchema, topUpInputSchema, FederaError } from '@federa/domain';
import { adminProcedure, router } from '../trpc';

/** Admins set budgets, budget modes, rate limits and prepaid top-ups. Every change is audited. */
export const budgetsRouter = router({
  /** The tenant's account, with the currency its amounts are in (its home operator's). */
  get: adminProcedure.input(tenantRefSchema).query(async ({ ctx, input }) => {
    const topology = await ctx.deps.topology();
    const tenant = topology.tenants.get(input.tenantId);
    requireTenant(tenant !== undefined, input.tenantId);
    const currency = topology.operators.get(tenant!.homeOperator)?.currency ?? null;
    return { ...(await ctx.deps.ledger.account(input.tenantId)), currency };
  }),

  set: adminProcedure.input(budgetSetInputSchema).mutation(async ({ ctx, input }) => {
    const { ledger, audit, topology } = ctx.deps;
    requireTenant((await topology()).tenants.has(input.tenantId), input.tenantId);
    const before = await ledger.account(input.tenantId).catch(() => null);
    const after = await ledger.configureAccount(input.tenantId, {
      budget: input.budget,
      ...(input.mode ? { mode: input.mode } : {}),
      ...(input.tokensPerMinute !== undefined ? { tokensPerMinute: input.tokensPerMinute } : {}),
    });
    await audit.append(ctx.principal, 'budgets.set', `tenant:${input.tenantId}`, before, after);
    return after;
  }),

  topUp: adminProcedure.input(topUpInputSchema).mutation(async ({ ctx, input }) => {
    const { ledger, audit, topology } = ctx.deps;
    requireTenant((await topology()).tenants.has(input.tenantId), input.tenantId);
    const before = await ledger.account(input.tenantId);
    const result = await ledger.topUp(input);
    if (!result.replay) {
      await audit.append(ctx.principal, 'budgets.topUp', `tenant:${input.tenantId}`, before, {
        ...(await ledger.account(input.tenantId)),
        topUpId: input.topUpId,
        amount: input.amount,
      });
    }
    return result;
  }),
});

function requireTenant(exists: boolean, tenantId: string): void {
  if (!exists) throw new FederaError('NOT_FOUND', `no tenant '${tenantId}' in the federation`);
}
