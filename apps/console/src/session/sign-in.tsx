import { useState, type FormEvent } from 'react';
import { ErrorBanner } from '../ui/error-banner';
import { credentialProblem } from './credential';
import { useSession } from './session';

/** One field: a bearer token (any role) or a tenant API key, pasted once for this tab. */
export function SignIn() {
  const { signIn, signInError } = useSession();
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | undefined>();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const credential = value.trim();
    const found = credentialProblem(credential);
    setProblem(found);
    if (!found) signIn(credential);
  };

  return (
    <main className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Federa console</h1>
      <p>
        Sign in with a bearer token (tenant, operator or admin) or a tenant API key. It is kept in this tab
        only (session storage) and sent to this API alone.
      </p>
      <form onSubmit={submit} className="stack">
        <label htmlFor="credential">Token or API key</label>
        <textarea
          id="credential"
          name="credential"
          rows={4}
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-describedby={problem ? 'credential-problem' : undefined}
          aria-invalid={problem ? true : undefined}
        />
        {problem && (
          <p id="credential-problem" className="field-error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
      {signInError ? <ErrorBanner error={signInError} title="Sign-in refused" /> : null}
    </main>
  );
}
