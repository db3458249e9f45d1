import { policyPreviewInputSchema, routingPolicyInputSchema } from '@federa/domain';
import { adminProcedure, router } from '../trpc';
import { previewPolicy } from './policy-preview';

/** The routing policy: weights, home preference, failover, per-tenant overrides. Versioned. */
export const policyRouter = router({
  get: adminProcedure.query(async ({ ctx }) => (await ctx.deps.topology()).topology.routing),

  /** A new version; it applies to the next request, and each usage record names the version it used. */
  set: adminProcedure.input(routingPolicyInputSchema).mutation(async ({ ctx, input }) => {
    const { result } = await ctx.deps.registry.update((t) => {
      const before = t.routing;
      const after = { ...input, version: before.version + 1 };
      return { topology: { ...t, routing: after }, result: { before, after } };
    });
    await ctx.deps.audit.append(ctx.principal, 'policy.set', 'routing-policy', result.before, result.after);
    return result.after;
  }),

  history: adminProcedure.query(async ({ ctx }) => ctx.deps.registry.policyHistory()),

  /**
   * Which sites each tenant would get under a candidate policy, next to the policy in force, before
   * it is saved. Changes nothing: no version, no audit entry.
   */
  preview: adminProcedure
    .input(policyPreviewInputSchema)
    .query(async ({ ctx, input }) =>
      previewPolicy(ctx.deps, await ctx.deps.topology(), input.policy, input.model, Date.now()),
    ),
});
