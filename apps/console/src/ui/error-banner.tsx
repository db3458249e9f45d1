import { describeError } from '../api/errors';

/** A failed call, with its Federa code first (what users quote to support and search for). */
export function ErrorBanner({ error, title = 'Request failed' }: { error: unknown; title?: string }) {
  const e = describeError(error);
  return (
    <div className="error-banner" role="alert">
      <strong>{title}</strong> <code className="error-code">{e.code}</code>
      <span className="error-message"> {e.message}</span>
      {e.retryAfter ? <span> (retry after {e.retryAfter} s)</span> : null}
      {e.correlationId ? <span> reference {e.correlationId}</span> : null}
    </div>
  );
}
