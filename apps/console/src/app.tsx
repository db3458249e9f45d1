import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { describeError } from './api/errors';
import { SessionProvider, useSession } from './session/session';
import { SignIn } from './session/sign-in';
import { Layout } from './shell/layout';

function newQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // a refused call (wrong role, bad input) will not succeed on retry; a network blip might
        retry: (count, err) =>
          count < 2 && ['NETWORK', 'STORE_UNAVAILABLE'].includes(describeError(err).code),
        refetchOnWindowFocus: false,
      },
    },
  });
}

function Gate() {
  const { who } = useSession();
  if (who === undefined) return <p aria-busy="true">Checking your credential…</p>;
  return who ? <Layout /> : <SignIn />;
}

export function App() {
  const [queryClient] = useState(newQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <Gate />
      </SessionProvider>
    </QueryClientProvider>
  );
}
