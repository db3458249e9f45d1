/**
 * Endpoint allow-lists per operator (see packages/domain/src/endpoints.ts): admins set them,
 * operators read their own. They live on the operator in the registry document, so a change is a
 * versioned compare-and-set like any other and lands in the audit log.
 */
import { z } from 'zod';
import { FederaError, endpointPatternSchema, operatorFilterSchema } from '@federa/domain';
import { adminProcedure, operatorOrAdminProcedure } from '../trpc';

const setInputSchema = z.object({
  operator: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  allowedEndpoints: z.array(endpointPatternSchema).max(100),
});

export const allowedEndpointProcedures = {
  /** Each operator's allow-list (an operator sees its own). */
  allowedEndpoints: operatorOrAdminProcedure.input(operatorFilterSchema).query(async ({ ctx, input }) => {
    const { topology } = await ctx.deps.topology();
    const operator = ctx.scope ?? input.operator;
    return topology.operators
      .filter((o) => !operator || o.id === operator)
      .map((o) => ({ operator: o.id, allowedEndpoints: o.allowedEndpoints }));
  }),

  /** Replace an operator's allow-list. Sites already registered keep their endpoints. */
  setAllowedEndpoints: adminProcedure.input(setInputSchema).mutation(async ({ ctx, input }) => {
    const allowed = [...new Set(input.allowedEndpoints)].sort();
    const { result } = await ctx.deps.registry.update((t) => {
      const before = t.operators.find((o) => o.id === input.operator);
      if (!before) throw new FederaError('NOT_FOUND', `no operator '${input.operator}'`);
      return {
        topology: {
          ...t,
          operators: t.operators.map((o) => (o.id === before.id ? { ...o, allowedEndpoints: allowed } : o)),
        },
        result: before.allowedEndpoints,
      };
    });
    await ctx.deps.audit.append(
      ctx.principal,
      'sites.setAllowedEndpoints',
      `operator:${input.operator}`,
      { allowedEndpoints: result },
      { allowedEndpoints: allowed },
    );
    return { operator: input.operator, allowedEndpoints: allowed };
  }),
};
