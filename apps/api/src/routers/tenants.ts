import { FederaError, groupSetInputSchema, tenantRefSchema, tenantSchema } from '@federa/domain';
import { adminProcedure, router } from '../trpc';

export const tenantsRouter = router({
  list: adminProcedure.query(async ({ ctx }) => (await ctx.deps.topology()).topology.tenants),

  get: adminProcedure.input(tenantRefSchema).query(async ({ ctx, input }) => {
    const tenant = (await ctx.deps.topology()).tenants.get(input.tenantId);
    if (!tenant) throw new FederaError('NOT_FOUND', `no tenant '${input.tenantId}'`);
    return tenant;
  }),

  /** Create or replace a tenant. A new tenant gets a ledger account with its budget. */
  upsert: adminProcedure.input(tenantSchema).mutation(async ({ ctx, input }) => {
    const { result } = await ctx.deps.registry.update((t) => {
      const before = t.tenants.find((x) => x.id === input.id) ?? null;
      return {
        topology: { ...t, tenants: [...t.tenants.filter((x) => x.id !== input.id), input] },
        result: { before, after: input },
      };
    });
    await ctx.deps.ledger.ensureAccount(input.id, {
      budget: input.budget,
      mode: input.budgetMode,
      tokensPerMinute: input.tokensPerMinute,
    });
    await ctx.deps.audit.append(
      ctx.principal,
      'tenants.upsert',
      `tenant:${input.id}`,
      result.before,
      result.after,
    );
    return result.after;
  }),
});

export const groupsRouter = router({
  list: adminProcedure.query(async ({ ctx }) => (await ctx.deps.topology()).groups),

  /** Define or redefine a custom jurisdiction group (the built-in EU, EEA and ANY are fixed). */
  set: adminProcedure.input(groupSetInputSchema).mutation(async ({ ctx, input }) => {
    if (['EU', 'EEA', 'ANY'].includes(input.name)) {
      throw new FederaError(
        'VALIDATION_FAILED',
        `'${input.name}' is a built-in group and cannot be redefined`,
      );
    }
    const { result } = await ctx.deps.registry.update((t) => {
      const before = t.jurisdictionGroups[input.name] ?? null;
      return {
        topology: { ...t, jurisdictionGroups: { ...t.jurisdictionGroups, [input.name]: input.countries } },
        result: { before, after: input.countries },
      };
    });
    await ctx.deps.audit.append(
      ctx.principal,
      'groups.set',
      `group:${input.name}`,
      result.before,
      result.after,
    );
    return { name: input.name, countries: input.countries };
  }),
});
