import { useState } from 'react';
import type { CreatedKey } from './key-create-form';

/**
 * The new key's secret, shown this once: Federa keeps only its hash, so it cannot be shown again.
 * Hiding it drops it from the page's memory.
 */
export function KeySecret({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <section className="card key-secret" aria-labelledby="key-secret-title" role="status">
      <h2 id="key-secret-title">Key “{created.name}” created</h2>
      <p className="key-warning">
        <strong>Copy this secret now: it is shown only once.</strong> Federa stores only a hash of it; if it
        is lost, revoke the key and create another.
      </p>
      <code className="secret" data-testid="new-key-secret">
        {created.secret}
      </code>
      <div className="row key-secret-actions">
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy secret
        </button>
        <button type="button" onClick={onDone}>
          I have stored it — hide it
        </button>
        <span aria-live="polite">
          {copied === 'yes' ? 'Copied to the clipboard.' : null}
          {copied === 'failed' ? 'The browser refused the clipboard: select the secret and copy it.' : null}
        </span>
      </div>
    </section>
  );
}
