/**
 * The models this tenant may use, and where: the OpenAI-compatible `GET /v1/models`, called with the
 * signed-in credential (a JWT session or an API key, whose model and residency limits it applies).
 * There is no tRPC procedure for it; this is the same answer the tenant's own clients get.
 */
import { useQuery } from '@tanstack/react-query';
import { CodedError } from '../../api/errors';
import { currentCredential } from '../../session/credential';

export interface TenantModel {
  readonly id: string;
  /** countries with a site that may serve it for this tenant */
  readonly jurisdictions: readonly string[];
}

interface ModelList {
  data: { id: string; federa?: { jurisdictions?: string[] } }[];
}

export async function fetchModels(signal?: AbortSignal): Promise<TenantModel[]> {
  const credential = currentCredential();
  let res: Response;
  try {
    res = await fetch('/v1/models', {
      headers: credential ? { authorization: `Bearer ${credential}` } : {},
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    throw new CodedError('NETWORK', err instanceof Error ? err.message : String(err));
  }
  if (!res.ok) {
    // /v1 errors are OpenAI's shape; the Federa code is also in the x-federa-code header
    const body = (await res.json().catch(() => null)) as {
      error?: { code?: string; message?: string };
    } | null;
    throw new CodedError(
      res.headers.get('x-federa-code') ?? body?.error?.code ?? `HTTP_${res.status}`,
      body?.error?.message ?? res.statusText,
    );
  }
  const list = (await res.json()) as ModelList;
  return list.data.map((m) => ({ id: m.id, jurisdictions: m.federa?.jurisdictions ?? [] }));
}

export function useTenantModels() {
  return useQuery({
    queryKey: ['v1.models'],
    queryFn: ({ signal }) => fetchModels(signal),
    staleTime: 60_000,
  });
}
