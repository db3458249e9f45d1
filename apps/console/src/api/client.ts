/**
 * The console's one connection to Federa: the API's own tRPC router, typed end to end from
 * `AppRouter` (a type-only import: no server code reaches the browser). Plain JSON, no batching —
 * the API refuses batches — and every call carries the signed-in credential.
 */
import { createTRPCClient, httpLink, splitLink } from '@trpc/client';
import type { AppRouter, RouterInputs, RouterOutputs } from '@federa/api';
import { currentCredential } from '../session/credential';

export type { RouterInputs, RouterOutputs };

const headers = () => {
  const credential = currentCredential();
  return credential ? { authorization: `Bearer ${credential}` } : {};
};

/**
 * Queries whose input can outgrow a URL (a whole candidate routing policy) are POSTed, input in the
 * body; the API allows that override for queries. The rest stay GETs, as curl sends them.
 */
const LARGE_INPUT_QUERIES = new Set(['policy.preview']);

export const api = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'query' && LARGE_INPUT_QUERIES.has(op.path),
      true: httpLink({ url: '/trpc', headers, methodOverride: 'POST' }),
      false: httpLink({ url: '/trpc', headers }),
    }),
  ],
});
