/**
 * The console's one connection to Federa: the API's own tRPC router, typed end to end from
 * `AppRouter` (a type-only import: no server code reaches the browser). Plain JSON, no batching —
 * the API refuses batches — and every call carries the signed-in credential.
 */
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter, RouterInputs, RouterOutputs } from '@federa/api';
import { currentCredential } from '../session/credential';

export type { RouterInputs, RouterOutputs };

export const api = createTRPCClient<AppRouter>({
  links: [
    httpLink({
      url: '/trpc',
      headers: () => {
        const credential = currentCredential();
        return credential ? { authorization: `Bearer ${credential}` } : {};
      },
    }),
  ],
});
