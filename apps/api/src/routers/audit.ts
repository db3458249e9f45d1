import { auditListInputSchema } from '@federa/domain';
import { adminProcedure, router } from '../trpc';

export const auditRouter = router({
  /** The append-only audit log, newest first. There is no procedure that edits or deletes it. */
  list: adminProcedure.input(auditListInputSchema).query(async ({ ctx, input }) => {
    const entries = await ctx.deps.audit.list({ limit: input.limit, before: input.before });
    return {
      entries,
      nextBefore: entries.length === input.limit ? entries[entries.length - 1]?.id : undefined,
    };
  }),
});
