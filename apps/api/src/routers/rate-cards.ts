import {
  FederaError,
  EPOCH,
  operatorFilterSchema,
  rateCardEntrySchema,
  type RateCardEntry,
} from '@federa/domain';
import { adminProcedure, router } from '../trpc';

/** Cards may start now or later, never in the past: a closed period's charges are not re-priced. */
const BACKDATING_TOLERANCE_MS = 60_000;

export const rateCardsRouter = router({
  /** Every card version, inline (in force from the epoch) and effective-dated. */
  list: adminProcedure.input(operatorFilterSchema).query(async ({ ctx, input }) => {
    const { topology } = await ctx.deps.topology();
    const inline: RateCardEntry[] = topology.operators.flatMap((o) =>
      Object.entries(o.rateCard).map(([model, c]) => ({ operator: o.id, model, effectiveFrom: EPOCH, ...c })),
    );
    return [...inline, ...topology.rateCards]
      .filter((c) => !input.operator || c.operator === input.operator)
      .sort(
        (a, b) =>
          a.operator.localeCompare(b.operator) ||
          a.model.localeCompare(b.model) ||
          a.effectiveFrom.localeCompare(b.effectiveFrom),
      );
  }),

  /** Add a card version; older versions are kept and still price what happened before it. */
  add: adminProcedure.input(rateCardEntrySchema).mutation(async ({ ctx, input }) => {
    if (Date.parse(input.effectiveFrom) < Date.now() - BACKDATING_TOLERANCE_MS) {
      throw new FederaError(
        'VALIDATION_FAILED',
        'effectiveFrom is in the past: rate cards cannot be backdated',
      );
    }
    const { result } = await ctx.deps.registry.update((t) => {
      if (!t.operators.some((o) => o.id === input.operator)) {
        throw new FederaError('NOT_FOUND', `no operator '${input.operator}'`);
      }
      const duplicate = t.rateCards.some(
        (c) =>
          c.operator === input.operator && c.model === input.model && c.effectiveFrom === input.effectiveFrom,
      );
      if (duplicate)
        throw new FederaError('VALIDATION_FAILED', 'a card for this operator, model and start time exists');
      return { topology: { ...t, rateCards: [...t.rateCards, input] }, result: input };
    });
    await ctx.deps.audit.append(
      ctx.principal,
      'rateCards.add',
      `rate-card:${input.operator}/${input.model}`,
      null,
      result,
    );
    return result;
  }),
});
