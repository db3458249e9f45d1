import { authedProcedure, router } from '../trpc';

export const authRouter = router({
  /**
   * Who the credential on this call is: the console asks once after sign-in to choose what to offer
   * (an API key cannot be decoded on the client, and a JWT's claims are only trusted once verified
   * here). Nothing secret: the caller's own role and subject, and its key's id and limits.
   */
  whoami: authedProcedure.query(({ ctx }) => {
    const { role, subject, apiKey } = ctx.principal;
    return {
      role,
      subject,
      credential: apiKey ? ('apiKey' as const) : ('jwt' as const),
      ...(apiKey ? { apiKey: { id: apiKey.id, limits: apiKey.limits } } : {}),
    };
  }),
});
