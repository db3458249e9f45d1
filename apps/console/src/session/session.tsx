/**
 * Who is signed in. The credential is checked by asking the API (`auth.whoami`) — the console
 * never decodes a token to decide what to show — and the answer drives the navigation.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type RouterOutputs } from '../api/client';
import { currentCredential, forgetCredential, storeCredential } from './credential';

export type Whoami = RouterOutputs['auth']['whoami'];
export type Role = Whoami['role'];

interface SessionValue {
  /** undefined while the API is being asked, null when signed out */
  readonly who: Whoami | null | undefined;
  readonly signInError: unknown;
  readonly signIn: (credential: string) => void;
  readonly signOut: () => void;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [credential, setCredential] = useState<string | null>(() => currentCredential());
  const whoami = useQuery({
    queryKey: ['auth.whoami', credential],
    queryFn: ({ signal }) => api.auth.whoami.query(undefined, { signal }),
    enabled: credential !== null,
    retry: false,
    staleTime: Infinity,
  });

  const signIn = useCallback(
    (next: string) => {
      storeCredential(next);
      queryClient.clear();
      setCredential(next);
    },
    [queryClient],
  );
  const signOut = useCallback(() => {
    forgetCredential();
    queryClient.clear();
    setCredential(null);
  }, [queryClient]);

  const value = useMemo<SessionValue>(
    () => ({
      who: credential === null || whoami.isError ? null : whoami.data,
      signInError: credential !== null ? whoami.error : null,
      signIn,
      signOut,
    }),
    [credential, whoami.data, whoami.error, whoami.isError, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside <SessionProvider>');
  return value;
}

/** The signed-in principal; only for pages the router shows to a signed-in user. */
export function useWho(): Whoami {
  const { who } = useSession();
  if (!who) throw new Error('useWho on a page shown while signed out');
  return who;
}
