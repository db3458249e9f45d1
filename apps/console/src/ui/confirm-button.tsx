import { useState } from 'react';

/**
 * A button whose action takes a second, explicit confirmation in place (no modal dialog): the
 * question and both answers are real buttons, reachable and readable by keyboard and screen reader.
 */
export function ConfirmButton({
  label,
  accessibleLabel,
  question,
  confirmLabel,
  onConfirm,
  busy,
  danger,
}: {
  label: string;
  /** when the visible label leaves out what it acts on (a table row's own site, say) */
  accessibleLabel?: string;
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  busy?: boolean;
  danger?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button
        type="button"
        className={danger ? 'danger' : undefined}
        disabled={busy}
        aria-label={accessibleLabel}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    );
  return (
    <span className="row confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        type="button"
        className={danger ? 'danger' : 'primary'}
        disabled={busy}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
