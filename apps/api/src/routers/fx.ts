import { FederaError, fxAddInputSchema } from '@federa/domain';
import { adminProcedure, router } from '../trpc';

/** Effective-dated exchange rates used to convert statement lines into the settlement currency. */
export const fxRouter = router({
  list: adminProcedure.query(async ({ ctx }) => (await ctx.deps.topology()).topology.fxRates),

  add: adminProcedure.input(fxAddInputSchema).mutation(async ({ ctx, input }) => {
    if (input.from === input.to)
      throw new FederaError('VALIDATION_FAILED', 'from and to are the same currency');
    const { result } = await ctx.deps.registry.update((t) => ({
      topology: { ...t, fxRates: [...t.fxRates, input] },
      result: input,
    }));
    await ctx.deps.audit.append(ctx.principal, 'fx.add', `fx:${input.from}/${input.to}`, null, result);
    return result;
  }),
});
