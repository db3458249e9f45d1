/**
 * The credential the user pasted (a JWT or an API key), kept in sessionStorage: it lives as long as
 * the tab, is not shared with other tabs, and is never written to localStorage, cookies or a URL.
 */
const KEY = 'federa.console.credential';

export function currentCredential(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeCredential(credential: string): void {
  sessionStorage.setItem(KEY, credential);
}

export function forgetCredential(): void {
  sessionStorage.removeItem(KEY);
}

/** What a credential must look like before it is sent anywhere (the API checks it for real). */
export function credentialProblem(credential: string): string | undefined {
  if (credential.length === 0) return 'paste a token or an API key';
  if (credential.length > 8192) return 'that is too long for a token or an API key';
  if (!/^[A-Za-z0-9._~+/=-]+$/.test(credential))
    return 'a token or API key has no spaces or quotes; paste only the value';
  return undefined;
}
